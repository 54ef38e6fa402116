package files

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Strip returns b without the metadata that can locate or identify the
// customer: for JPEG every APPn segment but JFIF, ICC profiles and Adobe
// colour information, and every comment, keeping the EXIF orientation in
// a minimal EXIF segment of its own; for PNG and WebP every chunk but
// those on an allowlist of what draws the image (pngKept, appendWebP), so
// a metadata chunk nobody thought of goes too. Other types come back
// unchanged. An image whose structure cannot be followed is refused
// with ErrMalformed.
func Strip(mime string, b []byte) ([]byte, error) {
	switch mime {
	case MIMEJPEG:
		return stripJPEG(b)
	case MIMEPNG:
		return stripPNG(b)
	case MIMEWebP:
		return stripWebP(b)
	}
	return b, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// stripJPEG walks the JPEG's segments, entropy-coded data included (so
// metadata after a scan is found too).
func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, malformed("no JPEG start of image")
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	orientation := uint16(0)
	orientationAt := -1 // where in out the orientation segment goes
	i := 2
	for {
		if i+2 > len(b) || b[i] != 0xFF {
			return nil, malformed("expected a marker at byte %d", i)
		}
		for i+1 < len(b) && b[i+1] == 0xFF { // fill bytes
			i++
		}
		if i+2 > len(b) {
			return nil, malformed("truncated marker")
		}
		m := b[i+1]
		if m == 0xD9 { // end of image
			out = append(out, 0xFF, 0xD9)
			break
		}
		if m == 0x01 || m >= 0xD0 && m <= 0xD7 { // no length
			out = append(out, b[i:i+2]...)
			i += 2
			continue
		}
		if i+4 > len(b) {
			return nil, malformed("truncated segment header")
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return nil, malformed("segment %#x of %d bytes overruns the file", m, n)
		}
		seg, body := b[i:i+2+n], b[i+4:i+2+n]
		i += 2 + n
		switch {
		case m == 0xE1: // EXIF or XMP
			if o := exifOrientation(body); o > 1 && orientation == 0 {
				orientation, orientationAt = o, len(out)
			}
		case m == 0xE0 && bytes.HasPrefix(body, []byte("JFIF\x00")),
			m == 0xE2 && bytes.HasPrefix(body, []byte("ICC_PROFILE\x00")),
			m == 0xEE && bytes.HasPrefix(body, []byte("Adobe")):
			out = append(out, seg...)
		case m >= 0xE0 && m <= 0xEF, m == 0xFE: // other application data, comments
		default:
			out = append(out, seg...)
		}
		if m != 0xDA { // not a scan
			continue
		}
		// Entropy-coded data runs to the next marker other than a
		// stuffed 0xFF00 or a restart marker.
		start := i
		for i < len(b) {
			if b[i] == 0xFF && i+1 < len(b) && b[i+1] != 0x00 && (b[i+1] < 0xD0 || b[i+1] > 0xD7) {
				break
			}
			i++
		}
		if i >= len(b) {
			return nil, malformed("scan data without an end")
		}
		out = append(out, b[start:i]...)
	}
	if orientation > 1 {
		seg := orientationSegment(orientation)
		out = append(out[:orientationAt], append(seg, out[orientationAt:]...)...)
	}
	return out, nil
}

// exifOrientation reads the Orientation tag (0x0112) of IFD0 of an APP1
// EXIF body; 0 when there is none.
func exifOrientation(body []byte) uint16 {
	t, ok := bytes.CutPrefix(body, []byte("Exif\x00\x00"))
	if !ok || len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := bo.Uint16(t[e+8:]); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// orientationSegment is an APP1 EXIF segment holding only the
// Orientation tag.
func orientationSegment(o uint16) []byte {
	seg := []byte{0xFF, 0xE1, 0, 0}
	seg = append(seg, "Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08"...)
	seg = binary.BigEndian.AppendUint16(seg, 1)      // one entry
	seg = binary.BigEndian.AppendUint16(seg, 0x0112) // Orientation
	seg = binary.BigEndian.AppendUint16(seg, 3)      // SHORT
	seg = binary.BigEndian.AppendUint32(seg, 1)      // count
	seg = binary.BigEndian.AppendUint16(seg, o)
	seg = append(seg, 0, 0)       // value padding
	seg = append(seg, 0, 0, 0, 0) // no next IFD
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	return seg
}

// stripPNG keeps only the chunks that draw the image (pngKept), so
// metadata in any chunk — eXIf, text, timestamps, C2PA, private chunks,
// and whatever is invented next — is dropped. Nothing after IEND is kept.
func stripPNG(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, pngMagic) {
		return nil, malformed("no PNG signature")
	}
	out := append(make([]byte, 0, len(b)), pngMagic...)
	for i := len(pngMagic); ; {
		if i+12 > len(b) {
			return nil, malformed("truncated chunk at byte %d", i)
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b)-i-12 {
			return nil, malformed("chunk of %d bytes overruns the file", n)
		}
		typ := string(b[i+4 : i+8])
		chunk := b[i : i+12+n]
		if crc32.ChecksumIEEE(chunk[4:8+n]) != binary.BigEndian.Uint32(chunk[8+n:]) {
			return nil, malformed("chunk %q fails its CRC", typ)
		}
		i += 12 + n
		if pngKept(typ) {
			out = append(out, chunk...)
		}
		if typ == "IEND" {
			return out, nil
		}
	}
}

// pngKept reports whether a PNG chunk is one a stripped image keeps: the
// critical chunks, colour and transparency information, the pixel size,
// and the animation chunks of APNG.
func pngKept(typ string) bool {
	switch typ {
	case "IHDR", "PLTE", "IDAT", "IEND",
		"tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "pHYs", "bKGD",
		"acTL", "fcTL", "fdAT":
		return true
	}
	return false
}

// stripWebP keeps only the chunks that draw the image (appendWebP), clears
// the VP8X flags of EXIF and XMP, and sets the RIFF size to what is left.
// Nothing after the RIFF chunk is kept.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, malformed("no WebP header")
	}
	size := int(binary.LittleEndian.Uint32(b[4:]))
	if size < 4 || size > len(b)-8 {
		return nil, malformed("RIFF size %d overruns the file", size)
	}
	out, err := appendWebP(append(make([]byte, 0, len(b)), b[:12]...), b[12:8+size], false)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

// appendWebP appends to out the chunks of body (the file's, or an ANMF
// frame's when inFrame) that a stripped image keeps: VP8X, ICCP, ANIM and
// ANMF at the top, VP8, VP8L and ALPH anywhere. EXIF, XMP and unknown
// chunks are dropped, inside animation frames too (an ANMF is rebuilt with
// its new size).
func appendWebP(out, body []byte, inFrame bool) ([]byte, error) {
	for i := 0; i < len(body); {
		if i+8 > len(body) {
			return nil, malformed("truncated chunk at byte %d", i)
		}
		n := int(binary.LittleEndian.Uint32(body[i+4:]))
		padded := n + n&1
		if n < 0 || padded > len(body)-i-8 {
			return nil, malformed("chunk of %d bytes overruns the file", n)
		}
		typ := string(body[i : i+4])
		chunk := body[i : i+8+padded]
		i += 8 + padded
		switch {
		case typ == "VP8 " || typ == "VP8L" || typ == "ALPH",
			!inFrame && (typ == "ICCP" || typ == "ANIM"):
			out = append(out, chunk...)
		case typ == "VP8X" && !inFrame:
			if n < 1 {
				return nil, malformed("empty VP8X chunk")
			}
			at := len(out) + 8
			out = append(out, chunk...)
			out[at] &^= 0x08 | 0x04 // EXIF and XMP present
		case typ == "ANMF" && !inFrame:
			const header = 16 // position, size, duration, flags
			if n < header {
				return nil, malformed("ANMF chunk of %d bytes", n)
			}
			start := len(out)
			out = append(out, chunk[:8+header]...)
			var err error
			if out, err = appendWebP(out, chunk[8+header:8+n], true); err != nil {
				return nil, err
			}
			binary.LittleEndian.PutUint32(out[start+4:], uint32(len(out)-start-8))
		}
	}
	return out, nil
}
