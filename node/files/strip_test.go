package files

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := range 24 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{uint8(8 * x), uint8(10 * y), 128, 255})
		}
	}
	return img
}

// exifSegment is an APP1 EXIF segment with Orientation, a camera model and
// a GPS IFD pointer, as phones write them (little endian, as iPhones do).
func exifSegment(orientation uint16) []byte {
	le := binary.LittleEndian
	t := []byte("II\x2A\x00\x08\x00\x00\x00")
	t = le.AppendUint16(t, 3)
	entry := func(tag, typ uint16, count, value uint32) {
		t = le.AppendUint16(t, tag)
		t = le.AppendUint16(t, typ)
		t = le.AppendUint32(t, count)
		t = le.AppendUint32(t, value)
	}
	entry(0x0110, 2, 4, le.Uint32([]byte("Cam\x00"))) // Model (inline ASCII)
	entry(0x0112, 3, 1, uint32(orientation))          // Orientation
	entry(0x8825, 4, 1, 0x40)                         // GPS IFD offset
	t = le.AppendUint32(t, 0)
	for len(t) < 0x40 {
		t = append(t, 0)
	}
	t = le.AppendUint16(t, 1)
	t = le.AppendUint16(t, 0x0002) // GPSLatitude
	t = le.AppendUint16(t, 5)
	t = le.AppendUint32(t, 3)
	t = le.AppendUint32(t, 0x60)
	t = le.AppendUint32(t, 0)
	for len(t) < 0x60 {
		t = append(t, 0)
	}
	t = append(t, "GPSDATA-48.8584N-2.2945E"...)
	body := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

func segment(marker byte, body string) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// withMetadata inserts phone-like metadata after the JPEG's SOI.
func withMetadata(t *testing.T, orientation uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var out []byte
	out = append(out, b[:2]...)
	out = append(out, exifSegment(orientation)...)
	out = append(out, segment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSDATA</x:xmpmeta>")...)
	out = append(out, segment(0xED, "Photoshop 3.0\x008BIM GPSDATA")...)
	out = append(out, segment(0xFE, "shot by GPSDATA")...)
	out = append(out, b[2:]...)
	return out
}

func TestStripJPEG(t *testing.T) {
	for _, o := range []uint16{1, 6} {
		in := withMetadata(t, o)
		out, err := Strip(MIMEJPEG, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"GPSDATA", "Cam\x00", "xmpmeta", "8BIM"} {
			if bytes.Contains(out, []byte(leak)) {
				t.Errorf("orientation %d: %q left in the stripped file", o, leak)
			}
		}
		got := uint16(0)
		if i := bytes.Index(out, []byte("Exif\x00\x00")); i >= 0 {
			got = exifOrientation(out[i:])
		}
		if want := map[uint16]uint16{1: 0, 6: 6}[o]; got != want {
			t.Errorf("orientation %d: kept %d, want %d", o, got, want)
		}
		a, err1 := jpeg.Decode(bytes.NewReader(in))
		b, err2 := jpeg.Decode(bytes.NewReader(out))
		if err1 != nil || err2 != nil {
			t.Fatalf("decode: %v, %v", err1, err2)
		}
		if !samePixels(a, b) {
			t.Errorf("orientation %d: pixels changed", o)
		}
		again, err := Strip(MIMEJPEG, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Errorf("orientation %d: stripping twice changed the file (%v)", o, err)
		}
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

func pngChunk(typ, data string) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func TestStripPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	var in []byte
	in = append(in, b[:ihdrEnd]...)
	in = append(in, pngChunk("tEXt", "Author\x00GPSDATA")...)
	in = append(in, pngChunk("eXIf", "MM\x00\x2AGPSDATA")...)
	in = append(in, pngChunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00GPSDATA")...)
	in = append(in, pngChunk("pHYs", "\x00\x00\x0b\x13\x00\x00\x0b\x13\x01")...)
	in = append(in, pngChunk("caBX", "jumbc2pa GPSDATA")...) // C2PA manifest
	in = append(in, pngChunk("prVt", "GPSDATA")...)          // a private chunk
	in = append(in, pngChunk("tIME", "\x07\xea\x01\x02\x03\x04\x05")...)
	in = append(in, b[ihdrEnd:]...)
	in = append(in, "GPSDATA after IEND"...)
	out, err := Strip(MIMEPNG, in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPSDATA")) {
		t.Error("metadata left in the PNG")
	}
	if got := strings.Join(pngTypes(t, out), " "); got != "IHDR pHYs IDAT IEND" {
		t.Errorf("chunks kept: %s, want IHDR pHYs IDAT IEND", got)
	}
	x, err1 := png.Decode(bytes.NewReader(in))
	y, err2 := png.Decode(bytes.NewReader(out))
	if err1 != nil || err2 != nil || !samePixels(x, y) {
		t.Fatalf("decode: %v, %v (or pixels changed)", err1, err2)
	}
	bad := bytes.Clone(in)
	bad[ihdrEnd+10] ^= 0xFF // inside the tEXt chunk: its CRC fails
	if _, err := Strip(MIMEPNG, bad); err == nil {
		t.Error("a chunk with a bad CRC was accepted")
	}
}

// pngTypes lists the chunk types of a well-formed PNG.
func pngTypes(t testing.TB, b []byte) []string {
	t.Helper()
	var types []string
	for i := len(pngMagic); i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		types = append(types, string(b[i+4:i+8]))
		i += 12 + n
	}
	return types
}

func webpChunk(typ string, data []byte) []byte {
	c := append([]byte(typ), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func TestStripWebP(t *testing.T) {
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 | 0x04 | 0x10 | 0x02 // EXIF, XMP, alpha, animation
	frame := make([]byte, 16)           // position, size, duration, flags
	frame = append(frame, webpChunk("ALPH", []byte("alpha"))...)
	frame = append(frame, webpChunk("VP8L", []byte("\x2f frame"))...)
	frame = append(frame, webpChunk("XYZW", []byte("GPSDATA in a frame"))...)
	body := []byte("WEBP")
	body = append(body, webpChunk("VP8X", vp8x)...)
	body = append(body, webpChunk("ICCP", []byte("profile"))...)
	body = append(body, webpChunk("ANIM", make([]byte, 6))...)
	body = append(body, webpChunk("ANMF", frame)...)
	body = append(body, webpChunk("EXIF", []byte("GPSDATA!"))...)
	body = append(body, webpChunk("XMP ", []byte("GPSDATA"))...)
	body = append(body, webpChunk("C2PA", []byte("GPSDATA, unknown"))...)
	in := append([]byte("RIFF\x00\x00\x00\x00"), body...)
	binary.LittleEndian.PutUint32(in[4:], uint32(len(body)))
	in = append(in, "GPSDATA after the RIFF chunk"...)
	out, err := Strip(MIMEWebP, in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPSDATA")) {
		t.Error("metadata left in the WebP")
	}
	if got := int(binary.LittleEndian.Uint32(out[4:])); got != len(out)-8 {
		t.Errorf("RIFF size %d for %d bytes", got, len(out)-8)
	}
	if flags := out[20]; flags != 0x12 {
		t.Errorf("VP8X flags %#x, want only alpha and animation (0x12)", flags)
	}
	if got := strings.Join(webpTypes(t, out[12:], true), " "); got != "VP8X ICCP ANIM ANMF[ALPH VP8L]" {
		t.Errorf("chunks kept: %s", got)
	}
	again, err := Strip(MIMEWebP, out)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("stripping twice changed the file (%v)", err)
	}
}

// webpTypes lists the chunk types of well-formed WebP chunks, an ANMF's
// own in brackets after it.
func webpTypes(t testing.TB, b []byte, top bool) []string {
	t.Helper()
	var types []string
	for i := 0; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		typ := string(b[i : i+4])
		if typ == "ANMF" && top && n >= 16 && i+8+n <= len(b) {
			typ += "[" + strings.Join(webpTypes(t, b[i+8+16:i+8+n], false), " ") + "]"
		}
		types = append(types, typ)
		i += 8 + n + n&1
	}
	return types
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]string{
		"\xFF\xD8\xFF\xE0": MIMEJPEG, "\x89PNG\r\n\x1a\nxxxx": MIMEPNG, "RIFF\x10\x00\x00\x00WEBPVP8 ": MIMEWebP,
		"%PDF-1.7\n": MIMEPDF, "<svg onload=alert(1)>": "", "GIF89a": "", "PK\x03\x04": "", "": "",
		"<html><body>%PDF-": "",
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzStrip(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testImage(), nil)
	f.Add(buf.Bytes())
	buf.Reset()
	png.Encode(&buf, testImage())
	f.Add(buf.Bytes())
	f.Add(append(append(bytes.Clone(buf.Bytes()[:33]), pngChunk("prVt", "x")...), buf.Bytes()[33:]...))
	f.Add([]byte("RIFF\x0c\x00\x00\x00WEBPVP8X\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x2e\x00\x00\x00WEBPANMF\x1a\x00\x00\x00" + strings.Repeat("\x00", 16) + "VP8L\x01\x00\x00\x00\x2f\x00EXIF\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mime := Sniff(b)
		out, err := Strip(mime, b)
		if err != nil {
			return
		}
		if mime == "" || mime == MIMEPDF {
			if !bytes.Equal(out, b) {
				t.Fatal("a type Strip does not handle was changed")
			}
			return
		}
		if Sniff(out) != mime {
			t.Fatalf("stripped %s sniffs as %q", mime, Sniff(out))
		}
		again, err := Strip(mime, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v", err)
		}
		switch mime {
		case MIMEPNG:
			for _, typ := range pngTypes(t, out) {
				if !pngKept(typ) {
					t.Fatalf("PNG chunk %q kept", typ)
				}
			}
		case MIMEWebP:
			for _, typ := range webpTypes(t, out[12:], true) {
				if base, _, _ := strings.Cut(typ, "["); !slices.Contains([]string{"VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"}, base) {
					t.Fatalf("WebP chunk %q kept", typ)
				}
			}
		}
	})
}
