"""Make the GBK subset of Noto Serif CJK SC that the letters' PDF embeds.

Run once, by hand (it is not part of the build):

    pip install fonttools==4.69.1
    apt-get install fonts-noto-cjk        # Debian 12: Noto Serif CJK 2.001
    python3 assets/fonts/make_subset.py

It keeps every character of GBK (all of CJK Unified Ideographs U+4E00..U+9FFF, the GBK symbols
and punctuation), printable ASCII, CJK and full-width punctuation; no layout features; the
.notdef box outline (drawn for a character the subset lacks).
"""

import pathlib
import subprocess
import sys

SOURCE = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
FACE = "2"  # Noto Serif CJK SC in the collection
HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "NotoSerifCJKsc-Regular-GBK.otf"


def characters():
    chars = set()
    for hi in range(0x81, 0xFF):
        for lo in range(0x40, 0xFF):
            if lo == 0x7F:
                continue
            try:
                chars.add(bytes([hi, lo]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    ranges = [(0x20, 0x7F), (0x4E00, 0xA000), (0x3000, 0x3040), (0xFF01, 0xFF5F), (0x2010, 0x2027)]
    for start, end in ranges:
        chars.update(chr(c) for c in range(start, end))
    chars.update("×·○□〇€¥")
    return "".join(sorted(chars))


def main():
    text = HERE / "subset-chars.txt.tmp"
    text.write_text(characters(), encoding="utf-8")
    try:
        subprocess.run(
            [
                sys.executable, "-m", "fontTools.subset", SOURCE,
                f"--font-number={FACE}", f"--text-file={text}",
                "--layout-features=", "--notdef-outline", "--name-IDs=*",
                f"--output-file={OUT}",
            ],
            check=True,
        )
    finally:
        text.unlink()


if __name__ == "__main__":
    main()
