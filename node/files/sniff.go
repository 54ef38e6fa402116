package files

import "bytes"

// The types an upload may have.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
	MIMEWebP = "image/webp"
	MIMEPDF  = "application/pdf"
)

// Sniff returns the type of b from its first bytes, or "" when it is not
// one of the accepted types. File names and declared types are never
// trusted.
func Sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return MIMEJPEG
	case bytes.HasPrefix(b, pngMagic):
		return MIMEPNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return MIMEWebP
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return MIMEPDF
	}
	return ""
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")
