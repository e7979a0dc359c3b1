#!/usr/bin/env bash
# Writes random secrets for deploy/compose.yaml under deploy/secrets/ (kept out of git and
# out of the image). Existing files are kept, so re-running never rotates a key by accident.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }
put() {  # put NAME VALUE: write only if absent
  [ -e "$dir/$1" ] || { umask 077; printf '%s' "$2" > "$dir/$1"; }
}
put postgres_password "$(rand)"
put rabbitmq_password "$(rand)"
put s3_access_key_id "clinscribe"
put s3_secret_access_key "$(rand)"
put jwt_secret "$(rand)"
put api_key_pepper "$(rand)"
put blind_index_key "$(rand)"
put grafana_admin_password "$(rand)"
put encryption_keys "[\"k1:$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')\"]"
put database_url "postgresql://clinscribe:$(cat "$dir/postgres_password")@postgres:5432/clinscribe"
put broker_url "amqp://clinscribe:$(cat "$dir/rabbitmq_password")@rabbitmq:5672/"
put rabbitmq_conf "default_user = clinscribe
default_pass = $(cat "$dir/rabbitmq_password")
"
put seaweedfs_s3 "{\"identities\": [{\"name\": \"clinscribe\", \"credentials\": [{\"accessKey\": \"$(cat "$dir/s3_access_key_id")\", \"secretKey\": \"$(cat "$dir/s3_secret_access_key")\"}], \"actions\": [\"Read\", \"Write\", \"List\", \"Tagging\", \"Admin\"]}]}"
echo "secrets in $dir"
