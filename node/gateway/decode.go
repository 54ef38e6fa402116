package gateway

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/node/session"
)

// frame is a client frame. The Has fields mark fields whose absence matters;
// a JSON null counts as absent.
type frame struct {
	Type        string
	V           int
	HasV        bool
	Token       string
	Session     string
	LastSeq     uint64
	Locale      string
	TZ          string
	Channel     string
	Customer    session.Customer
	HasCustomer bool
	CID         string
	Text        string
	Attachments []session.Attachment
	Seq         uint64
	HasSeq      bool
	On          bool
	HasOn       bool
	Email       string // contact
	Score       int    // csat
	HasScore    bool
	Comment     string // csat
}

// decodeFrame parses and validates one client frame. It never panics; every
// refusal is a *protoError with the code to send. The returned cid (possibly
// empty) lets the error frame name the message it refuses.
//
// The parser (parseFrame) accepts exactly what encoding/json accepts, but
// matches keys case-sensitively, lets the last of duplicate keys win, and
// treats null as absent.
func decodeFrame(data []byte, f *frame) (cid string, err error) {
	*f = frame{}
	if !utf8.Valid(data) {
		return "", errInvalidUTF8
	}
	if err := parseFrame(data, f); err != nil {
		// A field of the wrong type leaves the rest of the frame decoded:
		// its cid, if valid, names the frame refused. After a syntax error
		// nothing of the frame is trusted.
		if err != errNotJSON && session.ValidCID(f.CID) {
			return f.CID, err
		}
		return "", err
	}
	if session.ValidCID(f.CID) {
		cid = f.CID // never echo an unchecked cid
	}
	switch f.Type {
	case "":
		return cid, badFrame("missing type")
	case "hello":
		if !f.HasV {
			return "", badFrame("hello needs v")
		}
		if f.V != 1 {
			return "", &protoError{Code: CodeUnsupported, Message: "this node speaks protocol v1"}
		}
		if f.Session != "" && !session.ValidID(f.Session) {
			return "", &protoError{Code: CodeNoSession, Message: "malformed session id"}
		}
		if len(f.Locale) > 35 || len(f.TZ) > 64 || len(f.Channel) > 32 || len(f.Token) > 4096 {
			return "", badFrame("hello field too long")
		}
		if f.TZ != "" {
			if !validTZ(f.TZ) {
				return "", badFrame("tz is not an IANA time zone")
			}
		}
		if c := &f.Customer; f.HasCustomer && (len(c.ID) > 128 || len(c.Name) > 128 || len(c.Email) > 254 || len(c.Tier) > 32) {
			return "", badFrame("customer field too long")
		}
	case "msg":
		if f.CID == "" {
			return "", badFrame("msg needs cid")
		}
		if cid == "" {
			return "", badFrame("cid must be 1-128 characters of [A-Za-z0-9_.:-]")
		}
		if f.Text == "" && len(f.Attachments) == 0 {
			return cid, badFrame("msg needs text or attachments")
		}
		if len(f.Text) > session.MaxTextBytes {
			return cid, &protoError{Code: CodeTooLarge, Message: "text over " + strconv.Itoa(session.MaxTextBytes) + " bytes"}
		}
		if len(f.Attachments) > session.MaxAttachments {
			return cid, badFrame("too many attachments")
		}
		for _, a := range f.Attachments {
			u, err := url.Parse(a.URL)
			nodeFile := err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(a.URL, "/") && !strings.HasPrefix(a.URL, "//")
			if err != nil || !nodeFile && ((u.Scheme != "https" && u.Scheme != "http") || u.Host == "") || len(a.URL) > 2048 || a.Size < 0 || len(a.Name) > 256 || len(a.MIME) > 128 {
				return cid, badFrame("attachment needs an http(s) url or a file uploaded to this node, size >= 0")
			}
		}
	case "ack":
		if !f.HasSeq {
			return "", badFrame("ack needs seq")
		}
	case "typing":
		if !f.HasOn {
			return "", badFrame("typing needs on")
		}
	case "bye":
	case "contact":
		if f.CID != "" && cid == "" {
			return "", badFrame("cid must be 1-128 characters of [A-Za-z0-9_.:-]")
		}
		if f.Email == "" {
			return cid, badFrame("contact needs email")
		}
		if !session.ValidEmail(f.Email) {
			return cid, badFrame("email is not a valid address (at most 254 bytes)")
		}
	case "csat":
		if f.CID != "" && cid == "" {
			return "", badFrame("cid must be 1-128 characters of [A-Za-z0-9_.:-]")
		}
		if !f.HasScore {
			return cid, badFrame("csat needs score")
		}
		if f.Score < session.MinScore || f.Score > session.MaxScore {
			return cid, badFrame("score must be an integer from 1 to 5")
		}
		if len(f.Comment) > session.MaxCommentBytes {
			return cid, &protoError{Code: CodeTooLarge, Message: "comment over " + strconv.Itoa(session.MaxCommentBytes) + " bytes"}
		}
	default:
		return cid, &protoError{Code: CodeUnknownType, Message: "unknown type"}
	}
	return cid, nil
}

// The frame parser. Client frames are flat objects with a handful of known
// keys, on every message's path: a hand-written parser decodes them with
// one allocation per string field kept, where encoding/json costs
// reflection and several allocations per frame. It validates everything it
// skips, so it accepts exactly the inputs json.Valid accepts (its nesting
// limit included), and it refuses with the messages encoding/json's errors
// produced before: "not a JSON object" for a syntax error, "field X has the
// wrong type" for a known field of the wrong type (the first in the input
// that a later duplicate did not replace). data must be valid UTF-8.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// Known top-level fields, indexes into typeErrs.
const (
	fType = iota
	fV
	fToken
	fSession
	fLastSeq
	fLocale
	fTZ
	fChannel
	fCustomer
	fCID
	fText
	fAttachments
	fSeq
	fOn
	fEmail
	fScore
	fComment
	numFields
)

// typeErrs tracks known fields holding a value of the wrong type. A later
// duplicate key replaces an earlier value, its type error included.
type typeErrs struct {
	at   [numFields]int32 // 1 + input offset of the wrong value; 0: none
	path [numFields]string
}

func (e *typeErrs) set(field, pos int, path string) {
	e.at[field] = int32(pos) + 1
	e.path[field] = path
}

func (e *typeErrs) err() error {
	first := -1
	for i, at := range e.at {
		if at != 0 && (first < 0 || at < e.at[first]) {
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	return badFrame("field " + e.path[first] + " has the wrong type")
}

type frameParser struct {
	data []byte
	pos  int
	key  [128]byte // unescaped keys
}

func parseFrame(data []byte, f *frame) error {
	p := frameParser{data: data}
	p.ws()
	if p.peek() != '{' {
		// Valid JSON that is not an object: encoding/json left the frame
		// empty for null and reported a type error for the rest.
		isNull := p.peek() == 'n'
		if !p.skip(0) || !p.end() {
			return errNotJSON
		}
		if isNull {
			return nil
		}
		return badFrame("field  has the wrong type")
	}
	var errs typeErrs
	empty := p.open()
	for !empty {
		key, ok := p.memberKey()
		if !ok || !p.field(f, key, &errs) {
			return errNotJSON
		}
		if empty, ok = p.memberEnd(); !ok {
			return errNotJSON
		}
	}
	if !p.end() {
		return errNotJSON
	}
	return errs.err()
}

// field decodes the value of the top-level member key.
func (p *frameParser) field(f *frame, key []byte, errs *typeErrs) bool {
	var id int
	var path string
	switch string(key) {
	case "type":
		id, path = fType, "type"
	case "v":
		id, path = fV, "v"
	case "token":
		id, path = fToken, "token"
	case "session":
		id, path = fSession, "session"
	case "last_seq":
		id, path = fLastSeq, "last_seq"
	case "locale":
		id, path = fLocale, "locale"
	case "tz":
		id, path = fTZ, "tz"
	case "channel":
		id, path = fChannel, "channel"
	case "customer":
		id, path = fCustomer, "customer"
	case "cid":
		id, path = fCID, "cid"
	case "text":
		id, path = fText, "text"
	case "attachments":
		id, path = fAttachments, "attachments"
	case "seq":
		id, path = fSeq, "seq"
	case "on":
		id, path = fOn, "on"
	case "email":
		id, path = fEmail, "email"
	case "score":
		id, path = fScore, "score"
	case "comment":
		id, path = fComment, "comment"
	default:
		return p.skip(1)
	}
	errs.at[id] = 0
	start := p.pos
	if p.peek() == 'n' {
		if !p.literal("null") {
			return p.skip(1) // fails: not null, so not valid JSON either
		}
		switch id {
		case fType:
			f.Type = ""
		case fV:
			f.V, f.HasV = 0, false
		case fToken:
			f.Token = ""
		case fSession:
			f.Session = ""
		case fLastSeq:
			f.LastSeq = 0
		case fLocale:
			f.Locale = ""
		case fTZ:
			f.TZ = ""
		case fChannel:
			f.Channel = ""
		case fCustomer:
			f.Customer, f.HasCustomer = session.Customer{}, false
		case fCID:
			f.CID = ""
		case fText:
			f.Text = ""
		case fAttachments:
			f.Attachments = nil
		case fSeq:
			f.Seq, f.HasSeq = 0, false
		case fOn:
			f.On, f.HasOn = false, false
		case fEmail:
			f.Email = ""
		case fScore:
			f.Score, f.HasScore = 0, false
		case fComment:
			f.Comment = ""
		}
		return true
	}
	var wrong bool
	switch id {
	case fType, fToken, fSession, fLocale, fTZ, fChannel, fCID, fText, fEmail, fComment:
		s, isStr, ok := p.stringValue(id == fType)
		if !ok {
			return false
		}
		if !isStr {
			wrong = true
			break
		}
		switch id {
		case fType:
			f.Type = s
		case fToken:
			f.Token = s
		case fSession:
			f.Session = s
		case fLocale:
			f.Locale = s
		case fTZ:
			f.TZ = s
		case fChannel:
			f.Channel = s
		case fCID:
			f.CID = s
		case fText:
			f.Text = s
		case fEmail:
			f.Email = s
		case fComment:
			f.Comment = s
		}
	case fV, fLastSeq, fSeq, fScore:
		n, isUint, ok := p.uintValue()
		if !ok {
			return false
		}
		switch {
		case !isUint || (id == fV || id == fScore) && n > math.MaxInt:
			wrong = true
		case id == fV:
			f.V, f.HasV = int(n), true
		case id == fScore:
			f.Score, f.HasScore = int(n), true
		case id == fLastSeq:
			f.LastSeq = n
		default:
			f.Seq, f.HasSeq = n, true
		}
	case fOn:
		switch {
		case p.peek() == 't' && p.literal("true"):
			f.On, f.HasOn = true, true
		case p.peek() == 'f' && p.literal("false"):
			f.On, f.HasOn = false, true
		default:
			wrong = true
			if !p.skip(1) {
				return false
			}
		}
	case fCustomer:
		if p.peek() != '{' {
			wrong = true
			if !p.skip(1) {
				return false
			}
			break
		}
		var ok bool
		f.Customer, f.HasCustomer = session.Customer{}, true
		path, ok = p.customer(&f.Customer)
		if !ok {
			return false
		}
		wrong = path != ""
	case fAttachments:
		if p.peek() != '[' {
			wrong = true
			if !p.skip(1) {
				return false
			}
			break
		}
		var ok bool
		f.Attachments, path, ok = p.attachments()
		if !ok {
			return false
		}
		wrong = path != ""
	}
	if wrong {
		errs.set(id, start, path)
	}
	return true
}

// customer decodes the object at p.pos into c. path names the first field
// of the wrong type ("" if none).
func (p *frameParser) customer(c *session.Customer) (path string, ok bool) {
	var at [4]int // 1 + input offset of a wrong value
	empty := p.open()
	for !empty {
		key, ok := p.memberKey()
		if !ok {
			return "", false
		}
		var dst *string
		var i int
		switch string(key) {
		case "id":
			dst, i = &c.ID, 0
		case "name":
			dst, i = &c.Name, 1
		case "email":
			dst, i = &c.Email, 2
		case "tier":
			dst, i = &c.Tier, 3
		default:
			if !p.skip(2) {
				return "", false
			}
		}
		if dst != nil {
			start := p.pos
			at[i] = 0
			if p.peek() == 'n' && p.literal("null") {
				*dst = ""
			} else {
				s, isStr, ok := p.stringValue(false)
				if !ok {
					return "", false
				}
				if isStr {
					*dst = s
				} else {
					at[i] = start + 1
				}
			}
		}
		if empty, ok = p.memberEnd(); !ok {
			return "", false
		}
	}
	return firstWrong(at[:], "customer.id", "customer.name", "customer.email", "customer.tier"), true
}

// attachments decodes the array at p.pos. path names the first value of
// the wrong type ("" if none).
func (p *frameParser) attachments() (list []session.Attachment, path string, ok bool) {
	p.pos++ // [
	p.ws()
	if p.peek() == ']' {
		p.pos++
		return []session.Attachment{}, "", true
	}
	list = make([]session.Attachment, 0, 2)
	for {
		p.ws()
		var a session.Attachment
		switch p.peek() {
		case '{':
			apath, ok := p.attachment(&a)
			if !ok {
				return nil, "", false
			}
			if path == "" {
				path = apath
			}
		case 'n':
			if !p.literal("null") {
				return nil, "", false
			}
		default:
			if !p.skip(2) {
				return nil, "", false
			}
			if path == "" {
				path = "attachments"
			}
		}
		list = append(list, a)
		p.ws()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return list, path, true
		default:
			return nil, "", false
		}
	}
}

func (p *frameParser) attachment(a *session.Attachment) (path string, ok bool) {
	var at [4]int // 1 + input offset of a wrong value
	empty := p.open()
	for !empty {
		key, ok := p.memberKey()
		if !ok {
			return "", false
		}
		var dst *string
		i := -1
		switch string(key) {
		case "url":
			dst, i = &a.URL, 0
		case "mime":
			dst, i = &a.MIME, 1
		case "name":
			dst, i = &a.Name, 2
		case "size":
			i = 3
		default:
			if !p.skip(3) {
				return "", false
			}
		}
		if i >= 0 {
			start := p.pos
			at[i] = 0
			switch {
			case p.peek() == 'n' && p.literal("null"):
				if dst != nil {
					*dst = ""
				} else {
					a.Size = 0
				}
			case dst != nil:
				s, isStr, ok := p.stringValue(false)
				if !ok {
					return "", false
				}
				if isStr {
					*dst = s
				} else {
					at[i] = start + 1
				}
			default:
				n, isInt, ok := p.intValue()
				if !ok {
					return "", false
				}
				if isInt {
					a.Size = n
				} else {
					at[i] = start + 1
				}
			}
		}
		if empty, ok = p.memberEnd(); !ok {
			return "", false
		}
	}
	return firstWrong(at[:], "attachments.url", "attachments.mime", "attachments.name", "attachments.size"), true
}

// firstWrong names the field whose wrongly typed value came first in the
// input (at[i] is its position + 1, or 0 when field i was fine), or "".
func firstWrong(at []int, names ...string) string {
	first := -1
	for i, a := range at {
		if a != 0 && (first < 0 || a < at[first]) {
			first = i
		}
	}
	if first < 0 {
		return ""
	}
	return names[first]
}

// stringValue decodes a string value at p.pos. If the value is not a
// string, it is skipped and isStr is false. intern returns the frame types
// as constants instead of allocating them.
func (p *frameParser) stringValue(intern bool) (s string, isStr, ok bool) {
	if p.peek() != '"' {
		return "", false, p.skip(1)
	}
	raw, esc, ok := p.str()
	if !ok {
		return "", false, false
	}
	if esc {
		return unescape(raw), true, true
	}
	if intern {
		switch string(raw) {
		case "msg":
			return "msg", true, true
		case "ack":
			return "ack", true, true
		case "typing":
			return "typing", true, true
		case "hello":
			return "hello", true, true
		case "bye":
			return "bye", true, true
		case "contact":
			return "contact", true, true
		case "csat":
			return "csat", true, true
		}
	}
	return string(raw), true, true
}

// uintValue decodes a number at p.pos; isUint reports whether it is a
// non-negative integer that fits in a uint64. A value that is not a number
// is skipped.
func (p *frameParser) uintValue() (n uint64, isUint, ok bool) {
	if c := p.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, false, p.skip(1)
	}
	mag, neg, integral, ok := p.number()
	return mag, ok && integral && !neg, ok
}

// intValue is uintValue for an int64.
func (p *frameParser) intValue() (n int64, isInt, ok bool) {
	if c := p.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, false, p.skip(1)
	}
	mag, neg, integral, ok := p.number()
	switch {
	case !ok || !integral:
		return 0, false, ok
	case neg && mag <= 1<<63:
		return int64(-mag), true, true // -(1<<63) wraps to itself: math.MinInt64
	case !neg && mag <= math.MaxInt64:
		return int64(mag), true, true
	}
	return 0, false, true
}
