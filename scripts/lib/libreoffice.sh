# LibreOffice (Writer and Calc, no GUI), poppler's PDF tools and the Noto CJK fonts, installed where missing: the
# tests open every exported .docx/.xlsx with them. Sourced by scripts/test.sh.

ensure_libreoffice() {
    local missing=()
    command -v libreoffice >/dev/null || missing+=(libreoffice-writer-nogui libreoffice-calc-nogui)
    command -v pdftotext >/dev/null || missing+=(poppler-utils)
    [ -n "$(fc-list 'Noto Serif CJK SC' 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "== installing ${missing[*]} for the document tests"
        local sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # The 公文 font names to the Noto CJK SC faces, for this user only (docs/documents.md).
    local conf_dir="${XDG_CONFIG_HOME:-$HOME/.config}/fontconfig/conf.d"
    if ! cmp -s scripts/lib/fonts-gongwen.conf "$conf_dir/60-mingjing-gongwen.conf"; then
        mkdir -p "$conf_dir"
        cp scripts/lib/fonts-gongwen.conf "$conf_dir/60-mingjing-gongwen.conf"
        fc-cache >/dev/null 2>&1 || true
    fi
}
