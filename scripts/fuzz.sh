#!/usr/bin/env bash
# Fuzzes the input readers and the normalizer of mingjing-review, and the roster reader: runs each cargo-fuzz
# target in fuzz/ for a bounded time. Uses nightly where installed, else the stable compiler
# with RUSTC_BOOTSTRAP=1; installs cargo-fuzz if it is missing.
#
#   scripts/fuzz.sh                 # 60 s per target
#   FUZZ_SECONDS=20 scripts/fuzz.sh # shorter
#   scripts/fuzz.sh read_docx       # one target
#
# Crashes are left in fuzz/artifacts/TARGET/ and make the script fail.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(read_text read_docx read_roster)
fi

# cargo-fuzz needs nightly features (the sanitizer flags). Where no nightly toolchain can be
# installed, the stable compiler is told to accept them, as the Rust project's own bootstrap does.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
if ! "${fuzz[@]}" --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$root/fuzz"
mkdir -p corpus/read_text corpus/read_docx corpus/read_roster

# The real material is the best start for the text reader; the fuzzer mutates it.
example="$root/examples/material-2021-county.txt"
if [ -f "$example" ]; then
    cp "$example" corpus/read_text/material-2021-county.txt
fi

# A minimal .docx gets the docx reader past the zip and into the XML at once.
# Optional: without python3 the fuzzer starts from nothing and finds the zip magic itself.
if command -v python3 >/dev/null 2>&1; then
    python3 - corpus/read_docx/minimal.docx <<'PY'
import sys, zipfile
w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
document = (
    f'<?xml version="1.0" encoding="UTF-8"?><w:document {w}><w:body>'
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
    '<w:r><w:rPr><w:b/></w:rPr><w:t>一、存在的主要问题</w:t></w:r></w:p>'
    '<w:tbl><w:tr><w:tc><w:p><w:r><w:t xml:space="preserve">一是&amp;学习</w:t><w:tab/><w:br/></w:r></w:p></w:tc></w:tr></w:tbl>'
    '<w:p><w:del><w:r><w:delText>删</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>'
    '</w:body></w:document>'
)
styles = (
    f'<?xml version="1.0"?><w:styles {w}><w:style w:type="paragraph" w:styleId="1">'
    '<w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr>'
    '<w:rPr><w:b/></w:rPr></w:style></w:styles>'
)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("word/document.xml", document)
    z.writestr("word/styles.xml", styles)
PY
fi

# A small .xlsx and a .csv roster get the roster reader past the zip and the header search at once.
if command -v python3 >/dev/null 2>&1; then
    python3 - corpus/read_roster/minimal.xlsx <<'PY'
import sys, zipfile
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
pkg = 'http://schemas.openxmlformats.org/package/2006/relationships'
def row(n, cells):
    return f'<row r="{n}">' + ''.join(
        f'<c r="{chr(65 + i)}{n}" t="inlineStr"><is><t>{t}</t></is></c>' for i, t in enumerate(cells)) + '</row>'
sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'
         + row(1, ['姓名', '性别', '公民身份号码', '入党时间', '所在支部'])
         + row(2, ['张三', '男', '11010519491231002X', '1970-07-01', '第一党支部'])
         + '</sheetData></worksheet>')
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    z.writestr("xl/worksheets/sheet1.xml", sheet)
PY
fi
printf '姓名,性别,公民身份号码,入党时间\n张三,男,11010519491231002X,1970-07-01\n' > corpus/read_roster/minimal.csv

for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds}s"
    "${fuzz[@]}" run "$target" -- -max_total_time="$seconds"
done
