{{- define "clinscribe.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "clinscribe.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "clinscribe.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "clinscribe.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{ .Values.secrets.existingSecret }}
{{- else -}}
{{ include "clinscribe.fullname" . }}-secrets
{{- end -}}
{{- end -}}

{{/* Settings from the ConfigMap; secrets as files from the Secret volume. */}}
{{- define "clinscribe.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "clinscribe.fullname" . }}-config
{{- end -}}

{{- define "clinscribe.secretMount" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.create -}}
- name: secrets
  mountPath: /run/secrets/clinscribe
  readOnly: true
{{- end -}}
{{- end -}}

{{/* Without a Secret, an injector (Vault Agent) writes the files to /run/secrets/clinscribe
     itself: annotate with vault.hashicorp.com/secret-volume-path (docs/operations.md). */}}
{{- define "clinscribe.secretVolume" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.create -}}
- name: secrets
  secret:
    secretName: {{ include "clinscribe.secretName" . }}
    defaultMode: 0400
{{- end -}}
{{- end -}}
