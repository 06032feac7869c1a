#!/usr/bin/env python3
"""SDL window tests: x86lab in a real SDL window under Xvfb, checked through --screenshot.

usage: sdl_window.py X86LAB CASE VBE_BARS_BIN FREEDOS_IMG
SKIPPED (exit 77) when xvfb-run is missing (apt-get install xvfb), and for the freedos case
when the FreeDOS image is missing.

  seabios  SeaBIOS's text screen: 720x400, the banner's glyphs drawn with the guest's font
           (equal letters draw equal cells, different letters different ones, blanks blank)
  freedos  FreeDOS boots from the floppy; "ver" and Enter are typed through SDL's event
           queue (--sdl-test-keys) and run; the screenshot is compared cell by cell with
           the VGA text buffer (--screen-dump of the same moment), A:\\> prompt included
  lfb      a boot floppy sets 1000x700x32 through the DISPI registers (no mode list has it) and
           draws four quadrants through the linear framebuffer from unreal mode
  signal   SIGTERM and SIGINT end a run in the window and --screenshot is still written
  close    closing the window (SDL_QUIT) after FreeDOS wrote a file through the SDL keyboard
           ends the run with exit 0 and the image file holds the file
  vbe      a boot floppy sets an 800x600x32 VBE mode and draws four bars and a black square
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
CELL_W, CELL_H = 9, 16  # 80x25 text in 720x400


def skip(why):
    print(f"*** SKIPPED: {why} ***", file=sys.stderr)
    sys.exit(SKIP)


def fail(why):
    print(f"FAIL: {why}", file=sys.stderr)
    sys.exit(1)


def read_png(path):
    """A minimal decoder for what x86lab writes: 8-bit RGB, not interlaced."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color != 2 or interlace:
                fail(f"{path}: unexpected PNG format depth {depth} colour {color}")
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * 3
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def pixel(rows, x, y):
    r = rows[y]
    return (r[x * 3], r[x * 3 + 1], r[x * 3 + 2])


def cell(rows, col, row):
    """The pixels of a text cell as bytes (comparable)."""
    return b"".join(rows[row * CELL_H + y][col * CELL_W * 3:(col + 1) * CELL_W * 3]
                    for y in range(CELL_H))


def blank(cell_bytes):
    return len({cell_bytes[i:i + 3] for i in range(0, len(cell_bytes), 3)}) == 1


def run(x86lab, args, timeout=240):
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        skip("xvfb-run not found; apt-get install xvfb (scripts/install-deps.sh)")
    cmd = [xvfb, "-a", "-s", "-screen 0 1280x1024x24", x86lab, "--display", "sdl",
           "--serial", "none"] + args
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    err = proc.stderr.decode(errors="replace")
    if "no SDL window" in err:
        fail(f"the SDL window did not open under Xvfb: {err.strip()}")
    return proc.returncode, proc.stdout.decode(errors="replace"), err


def check_text_screen(rows, height):
    if height != 400:
        fail(f"text screen is {height} rows high, expected 400")


def case_seabios(x86lab, work, _vbe, _freedos):
    png = os.path.join(work, "seabios.png")
    rc, _, err = run(x86lab, ["--deterministic", "--max-instructions", "30000000",
                           "--screenshot", png])
    if rc != 2 or not os.path.exists(png):
        fail(f"exit {rc}, stderr {err!r}")
    width, height, rows = read_png(png)
    if width != 720:
        fail(f"screenshot is {width}x{height}, expected 720x400 (80x25 text, 9x16 cells)")
    check_text_screen(rows, height)
    # Row 0 is "SeaBIOS (version ...": S at columns 0 and 6 draw the same glyph.
    s0, e1, a2, s6, space7 = (cell(rows, c, 0) for c in (0, 1, 2, 6, 7))
    if s0 != s6:
        fail("the two S of 'SeaBIOS' differ")
    if len({s0, e1, a2}) != 3:
        fail("'S', 'e', 'a' are not three different glyphs")
    for name, c in (("S", s0), ("e", e1), ("a", a2)):
        if blank(c):
            fail(f"'{name}' cell is blank")
    if not blank(space7) or not blank(cell(rows, 79, 0)) or not blank(cell(rows, 40, 24)):
        fail("blank cells are not blank")
    bg = pixel(rows, 719, 399)
    fg = {cell(rows, 0, 0)[i:i + 3] for i in range(0, CELL_W * CELL_H * 3, 3)} - {bytes(bg)}
    print(f"seabios: 720x400, background {bg}, foreground {sorted(fg)}; glyphs check out")


def screen_dump(out):
    """The rows --screen-dump printed (the VGA text buffer), padded to 80 columns."""
    start, end = "--- screen dump ---\n", "\n--- end of screen dump ---"
    i, j = out.find(start), out.find(end)
    if not 0 <= i < j:
        fail(f"no screen dump on stdout: {out!r}")
    rows = out[i + len(start):j].split("\n")
    return [row.ljust(80) for row in rows]


def compare_with_text_buffer(rows, dump):
    """Every cell of the screenshot against the VGA text buffer's character there: one glyph a
    character, different characters different glyphs, blanks blank; the one exception is the
    cursor, a non-blank cell where the buffer has a blank, right after the last prompt."""
    glyph_of, char_of, extra = {}, {}, []
    for r in range(25):
        for c in range(80):
            ch, pixels = dump[r][c], cell(rows, c, r)
            if ch == " ":
                if not blank(pixels):
                    extra.append((r, c))
                continue
            if ch in glyph_of and glyph_of[ch] != pixels:
                fail(f"{ch!r} at row {r} column {c} differs from the same character elsewhere")
            if pixels in char_of and char_of[pixels] != ch:
                fail(f"{ch!r} at row {r} column {c} draws like {char_of[pixels]!r}")
            if blank(pixels):
                fail(f"{ch!r} at row {r} column {c} is blank in the screenshot")
            glyph_of[ch], char_of[pixels] = pixels, ch
    last = max(r for r in range(25) if dump[r].strip())
    if not dump[last].rstrip().endswith("A:\\>"):
        fail(f"the last row of the text buffer is {dump[last]!r}, not the A:\\> prompt")
    cursor = (last, len(dump[last].rstrip()))
    if any(pos != cursor for pos in extra):
        fail(f"cells drawn where the text buffer is blank: {extra} (the cursor is at {cursor})")
    return len(glyph_of), bool(extra)


def case_freedos(x86lab, work, _vbe, freedos):
    if not os.path.exists(freedos):
        skip(f"{freedos} not found")
    png = os.path.join(work, "freedos.png")
    rc, out, err = run(x86lab, ["--fda", freedos, "--snapshot", "--boot", "a",
                                "--screenshot", png, "--screen-dump",
                                "--sdl-test-keys-after", "A:\\>", "--sdl-test-keys", "ver\\r",
                                "--sdl-test-quit-after", "3000",
                                "--max-instructions", "5000000000"])
    if rc != 0 or "test done" not in err or not os.path.exists(png):
        fail(f"exit {rc}, stderr {err!r} (the prompt never came, or the run did not end)")
    width, height, rows = read_png(png)
    if width != 720:
        fail(f"screenshot is {width}x{height}, expected 720x400")
    check_text_screen(rows, height)
    dump = screen_dump(out)
    # The keys typed through SDL's event queue reached COMMAND.COM: it echoed "ver" and ran it.
    typed = [r for r in range(25) if dump[r].rstrip() == "A:\\>ver"]
    if not typed or not any("FreeCom version" in dump[r] for r in range(typed[-1] + 1, 25)):
        fail("the text buffer has no 'A:\\>ver' followed by FreeCom's version line:\n" +
             "\n".join(dump))
    glyphs, cursor = compare_with_text_buffer(rows, dump)
    print(f"freedos: 'ver' typed through SDL ran; the screenshot matches the text buffer cell "
          f"by cell ({glyphs} distinct glyphs, cursor {'shown' if cursor else 'in its off phase'})")


def case_vbe(x86lab, work, vbe_bin, _freedos):
    image = os.path.join(work, "vbe.img")
    data = open(vbe_bin, "rb").read()
    open(image, "wb").write(data + bytes(1474560 - len(data)))
    png = os.path.join(work, "vbe.png")
    rc, _, err = run(x86lab, ["--fda", image, "--boot", "a", "--screenshot", png,
                           "--max-instructions", "3000000000"])
    if rc != 0 or not os.path.exists(png):
        fail(f"exit {rc}, stderr {err!r}")
    width, height, rows = read_png(png)
    if (width, height) != (800, 600):
        fail(f"screenshot is {width}x{height}, expected 800x600 (VBE)")
    expect = [((0, 0), (255, 0, 0)), ((799, 149), (255, 0, 0)), ((0, 150), (0, 255, 0)),
              ((400, 299), (0, 255, 0)), ((10, 300), (0, 0, 255)), ((799, 449), (0, 0, 255)),
              ((0, 450), (255, 255, 255)), ((799, 599), (255, 255, 255)),
              ((100, 100), (0, 0, 0)), ((107, 107), (0, 0, 0)), ((108, 108), (255, 0, 0)),
              ((99, 100), (255, 0, 0))]
    for (x, y), colour in expect:
        if pixel(rows, x, y) != colour:
            fail(f"pixel ({x},{y}) is {pixel(rows, x, y)}, expected {colour}")
    print("vbe: 800x600x32 bars and square as drawn")


def case_lfb(x86lab, work, vbe_bin, _freedos):
    """A mode no mode list has, set through DISPI and drawn through the linear framebuffer."""
    lfb_bin = os.path.join(os.path.dirname(vbe_bin), "vbe_lfb.bin")
    image = os.path.join(work, "lfb.img")
    data = open(lfb_bin, "rb").read()
    open(image, "wb").write(data + bytes(1474560 - len(data)))
    png = os.path.join(work, "lfb.png")
    rc, _, err = run(x86lab, ["--fda", image, "--boot", "a", "--screenshot", png,
                              "--max-instructions", "3000000000"])
    if rc != 0 or not os.path.exists(png):
        fail(f"exit {rc}, stderr {err!r}")
    width, height, rows = read_png(png)
    if (width, height) != (1000, 700):
        fail(f"screenshot is {width}x{height}, expected 1000x700 (DISPI, linear framebuffer)")
    red, green, blue, white, black = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255),
                                      (0, 0, 0))
    expect = [((0, 0), red), ((499, 349), red), ((500, 0), green), ((999, 349), green),
              ((0, 350), blue), ((499, 699), blue), ((500, 350), white), ((989, 699), white),
              ((999, 689), white), ((990, 690), black), ((999, 699), black)]
    for (x, y), colour in expect:
        if pixel(rows, x, y) != colour:
            fail(f"pixel ({x},{y}) is {pixel(rows, x, y)}, expected {colour}")
    print("lfb: 1000x700x32 through DISPI and the linear framebuffer, quadrants as drawn")


def case_signal(x86lab, work, _vbe, _freedos):
    """--screenshot is written when SIGTERM or SIGINT ends the run (exit 128 + signal)."""
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        skip("xvfb-run not found; apt-get install xvfb (scripts/install-deps.sh)")
    for name, number in (("TERM", 15), ("INT", 2)):
        png = os.path.join(work, f"sig{name}.png")
        # Inside the X session: start x86lab (SeaBIOS, no disks: it keeps rebooting), let it
        # draw, signal it, report its exit code.
        script = (f'"$0" --display sdl --serial none --screenshot {png} & pid=$!; sleep 4; '
                  f'kill -{name} $pid; wait $pid; echo "exit=$?"')
        proc = subprocess.run([xvfb, "-a", "-s", "-screen 0 1280x1024x24", "sh", "-c", script,
                               x86lab], capture_output=True, timeout=120)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        if f"exit={128 + number}" not in out or f"stopped by SIG{name}" not in err:
            fail(f"SIG{name}: stdout {out!r}, stderr {err!r}")
        if not os.path.exists(png):
            fail(f"SIG{name}: no screenshot written")
        width, height, rows = read_png(png)
        if (width, height) != (720, 400) or all(blank(cell(rows, c, 0)) for c in range(80)):
            fail(f"SIG{name}: screenshot is {width}x{height} or its first row is blank")
    print("signal: SIGTERM and SIGINT end the run with 143 and 130, each after writing the PNG")


def case_close(x86lab, work, _vbe, freedos):
    """Closing the window ends the run cleanly and the disk keeps what the guest wrote."""
    if not os.path.exists(freedos):
        skip(f"{freedos} not found")
    image = os.path.join(work, "freedos.img")
    shutil.copyfile(freedos, image)
    rc, _, err = run(x86lab, ["--fda", image, "--boot", "a",
                              "--sdl-test-keys-after", "A:\\>",
                              "--sdl-test-keys", "echo closing-flushes>CLOSE.TXT\\r",
                              "--sdl-test-quit-after", "3000",
                              "--max-instructions", "5000000000"])
    if rc != 0 or "window closed" not in err:
        fail(f"exit {rc}, stderr {err!r}: the window close did not end the run cleanly")
    data = open(image, "rb").read()
    if b"CLOSE   TXT" not in data or b"closing-flushes\r\n" not in data:
        fail("the image lacks CLOSE.TXT's directory entry or its contents after the close")
    print("close: the window closed, exit 0, CLOSE.TXT and its text are in the image file")


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, case, vbe_bin, freedos = sys.argv[1:]
    cases = {"seabios": case_seabios, "freedos": case_freedos, "vbe": case_vbe,
             "signal": case_signal, "close": case_close, "lfb": case_lfb}
    with tempfile.TemporaryDirectory(prefix="x86lab-sdl-") as work:
        cases[case](x86lab, work, vbe_bin, freedos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
