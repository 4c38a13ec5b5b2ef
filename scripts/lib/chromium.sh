# Debian's Chromium and the npm packages the browser test drives it with, installed where
# missing. Sourced by scripts/e2e.sh.

ensure_chromium() {
    local missing=()
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
    # Without a Chinese font every screenshot shows boxes instead of characters.
    [ -n "$(fc-list :lang=zh 2>/dev/null)" ] || missing+=(fonts-wqy-microhei)
    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi
    echo "== installing ${missing[*]} for the browser test"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_e2e_packages() {
    if [ ! -d e2e/node_modules/playwright-core ]; then
        echo "== npm ci (playwright-core, no browser download)"
        (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
    fi
}
