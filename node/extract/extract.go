package extract

// Kind names what an Entity is; it is also the template variable it fills.
type Kind string

// The kinds of entity the package extracts.
const (
	OrderNumber    Kind = "order_number"
	TrackingNumber Kind = "tracking_number"
	Email          Kind = "email"
	Phone          Kind = "phone"
)

// Carriers reported in Entity.Carrier for tracking numbers.
const (
	CarrierUPS        = "ups"
	CarrierUSPS       = "usps"
	CarrierFedEx      = "fedex"
	CarrierDHL        = "dhl"
	CarrierUPU        = "upu" // S10 international postal item (China Post, Royal Mail, …)
	CarrierSF         = "sf"  // SF Express
	CarrierYunExpress = "yunexpress"
)

// Entity is one value found in a text.
type Entity struct {
	Kind Kind `json:"kind"`
	// Value is normalised: order numbers upper-case without a leading '#',
	// tracking numbers upper-case without spaces, emails with a lower-case
	// domain, phones as "+<digits>" when a country code was given, else
	// digits only.
	Value string `json:"value"`
	// Start and End are byte offsets into the original text (not its
	// normalised form): text[Start:End] is the value as the customer wrote
	// it, without the keyword or the '#' before it.
	Start int `json:"-"`
	End   int `json:"-"`
	// Carrier is set for tracking numbers only: one of the Carrier
	// constants, or "" when the carrier is unknown.
	Carrier string `json:"carrier,omitempty"`
}

// All returns the entities in text, in order of position, never overlapping.
// It returns nil when there are none.
func All(text string) []Entity {
	return AppendAll(nil, text)
}

// AppendAll is All appending to dst. It does not allocate when dst has room
// and every value is a plain substring of text (the usual case); values
// that must be rebuilt — a spaced tracking number, a formatted phone, a
// domain to lower-case, full-width digits — cost one string each. See the
// package documentation.
func AppendAll(dst []Entity, text string) []Entity {
	var sc scanner
	sc.dst = dst
	sc.scan(text)
	return sc.dst
}

// First returns the first entity of kind k in text: the first of that kind
// All would return.
func First(text string, k Kind) (Entity, bool) {
	var sc scanner
	sc.want = k
	sc.scan(text)
	return sc.found, sc.done
}

// Loose extracts kind k from a reply to a question that asked for it. It
// first tries First; failing that, a value of kind k no longer needs its
// keyword: a bare "12345", "A-1234-5678" or "it's 12345" is an order number,
// a bare 8–15 digit number (with the usual separators) a phone, a bare
// 10–22 digit or 10–30 character alphanumeric token with at least 8 digits a
// tracking number, and "john at example dot com" or "john(at)example.com"
// an email. Values with a distinctive format of another kind keep that
// kind: a UPS number is never returned as an order number. Loose returns
// false when the text holds no plausible value.
func Loose(text string, k Kind) (Entity, bool) {
	switch k {
	case OrderNumber, TrackingNumber, Email, Phone:
	default:
		return Entity{}, false
	}
	if e, ok := First(text, k); ok {
		return e, true
	}
	var sc scanner
	sc.want = k
	sc.loose = k
	sc.scan(text)
	return sc.found, sc.done
}
