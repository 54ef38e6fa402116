package email

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText reduces an HTML body to its text: block elements and <br>
// become line breaks, list items get a "- ", script, style and head are
// dropped, and so is quoted history (<blockquote>, Gmail's gmail_quote,
// Outlook's divRplyFwdMsg and what follows it). Entities are decoded.
// It is deliberately small: a mail's HTML only carries what the customer
// typed, and agents see plain text.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside an element whose text is dropped
	var skipTag string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			if skip == 0 {
				raw := z.Raw()
				words := strings.Fields(string(z.Text()))
				if len(raw) > 0 && isSpace(raw[0]) && len(words) > 0 {
					space(&b)
				}
				b.WriteString(strings.Join(words, " "))
				if len(raw) > 0 && isSpace(raw[len(raw)-1]) {
					space(&b)
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if skip > 0 {
				if tag == skipTag && tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if dropped(tag) || hasAttr && quoteContainer(z) {
				if tt == html.StartTagToken && !voidElement(tag) {
					skip, skipTag = 1, tag
				}
				continue
			}
			switch tag {
			case "br":
				b.WriteByte('\n')
			case "li":
				newline(&b)
				b.WriteString("- ")
			default:
				if blockElement(tag) {
					newline(&b)
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skip > 0 {
				if tag == skipTag {
					skip--
				}
				continue
			}
			if blockElement(tag) {
				newline(&b)
			}
		}
	}
}

// newline ends the current line unless it is empty: nested blocks make
// one line break, not one each.
func newline(b *strings.Builder) {
	if s := b.String(); s != "" && s[len(s)-1] != '\n' {
		b.WriteByte('\n')
	}
}

// space separates words unless a separator is there already.
func space(b *strings.Builder) {
	if s := b.String(); s != "" && s[len(s)-1] != ' ' && s[len(s)-1] != '\n' {
		b.WriteByte(' ')
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// dropped are elements whose content is never the customer's text.
func dropped(tag string) bool {
	switch tag {
	case "script", "style", "head", "title", "blockquote", "template", "noscript":
		return true
	}
	return false
}

func voidElement(tag string) bool {
	switch tag {
	case "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr":
		return true
	}
	return false
}

// quoteContainer reports whether the tag's attributes mark quoted history
// the way the big mail clients write it.
func quoteContainer(z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		if key := string(k); key == "class" || key == "id" {
			val := string(v)
			if strings.Contains(val, "gmail_quote") || strings.Contains(val, "divRplyFwdMsg") ||
				strings.Contains(val, "yahoo_quoted") || strings.Contains(val, "moz-cite-prefix") || strings.Contains(val, "protonmail_quote") {
				return true
			}
		}
		if !more {
			return false
		}
	}
}

func blockElement(tag string) bool {
	switch tag {
	case "p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "section", "article", "header", "footer":
		return true
	}
	return false
}

// tidy trims each line and collapses runs of blank lines into one.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := true // drop leading blank lines
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// attribution matches the line a mail client puts above the quoted mail
// of a reply, in the languages of the widget ("On Tue, 3 Dec 2026 at
// 10:00, Shop <support@shop.example> wrote:", "Le … a écrit :", "El …
// escribió:", "Am … schrieb …:", "在 … 写道：", …). Gmail wraps a long one
// over two lines, so it is matched on a line and the one after it.
var attribution = regexp.MustCompile(`(?is)^(on\s.+\swrote|le\s.+\sa\s+écrit|el\s.+\sescribió|am\s.+\sschrieb.*|il\s.+\sha\s+scritto|em\s.+\sescreveu|op\s.+\sschreef.*|在.+写道|.+於.+寫道|.+のメッセージ|.+\s님이\s작성)\s*[:：]\s*$`)

// separator matches the lines Outlook and others put above a forwarded or
// quoted mail, and the signature delimiter.
var separator = regexp.MustCompile(`^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|forwarded message)\s*-{2,}|_{20,}|-- ?)$`)

// outlookHeader matches the first line of the header block Outlook quotes
// an answered mail with ("From: …" followed by "Sent: …" or "Date: …").
var outlookHeader = regexp.MustCompile(`(?i)^(from|von|de|发件人)\s*[:：]`)

// StripQuoted returns the new text of a reply: the lines before the quoted
// history (an attribution line, an Outlook separator or header block, a
// signature delimiter), without "> " quoted lines, trimmed. A text that
// is nothing but quotes is returned with its quotes rather than emptied:
// it is all the customer sent.
func StripQuoted(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	end := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if separator.MatchString(strings.ToLower(t)) && !(t == "--" && i == 0) {
			end = i
			break
		}
		if attribution.MatchString(t) {
			end = i
			break
		}
		if i+1 < len(lines) && t != "" && attribution.MatchString(t+" "+strings.TrimSpace(lines[i+1])) && strings.HasPrefix(strings.TrimSpace(nextNonEmpty(lines[i+2:])), ">") {
			end = i
			break
		}
		if outlookHeader.MatchString(t) && i+1 < len(lines) && outlookNext(lines[i+1]) {
			end = i
			break
		}
	}
	kept := make([]string, 0, end)
	for _, l := range lines[:end] {
		if strings.HasPrefix(strings.TrimLeft(l, " "), ">") {
			continue
		}
		kept = append(kept, strings.TrimRight(l, " \t"))
	}
	if out := tidy(strings.Join(kept, "\n")); out != "" {
		return out
	}
	return tidy(s)
}

func nextNonEmpty(lines []string) string {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return l
		}
	}
	return ""
}

func outlookNext(l string) bool {
	l = strings.ToLower(strings.TrimSpace(l))
	for _, p := range []string{"sent:", "date:", "gesendet:", "envoyé :", "envoyé:", "enviado:", "发送时间", "to:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
