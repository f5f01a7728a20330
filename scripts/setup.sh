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
