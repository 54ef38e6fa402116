package localtime

import (
	"strings"
	"time"
	"unicode/utf8"
)

// clock is how a language writes the time of day.
type clock uint8

const (
	h24     clock = iota // "09:05"
	h24Bare              // "9:05" (hour not padded)
	h12                  // "9:05" with am/pm
)

// style is one language's way of writing a weekday and a time.
type style struct {
	days  [7]string // abbreviated weekdays, Sunday first
	clock clock
	// am and pm mark 12-hour times; amFirst puts the mark before the time
	// (with sep between).
	am, pm  string
	amFirst bool
	sep     string // between time and mark: " " or ""
	// dayFmt joins weekday and time: "%d %t" unless set.
	dayFmt string
	// zero is the digit zero of the language's numbering system (0: ASCII).
	zero rune
	// hm separates hours and minutes: ":" unless set.
	hm string
}

var styles = map[string]*style{
	"en":      {days: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, clock: h12, am: "AM", pm: "PM", sep: " "},
	"en-GB":   {days: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, clock: h24},
	"en-IE":   {days: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, clock: h24},
	"en-AU":   {days: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, clock: h12, am: "am", pm: "pm", sep: " "},
	"es":      {days: [7]string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"}, clock: h24},
	"es-US":   {days: [7]string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"}, clock: h12, am: "a. m.", pm: "p. m.", sep: " "},
	"pt":      {days: [7]string{"dom.", "seg.", "ter.", "qua.", "qui.", "sex.", "sáb."}, clock: h24},
	"fr":      {days: [7]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}, clock: h24},
	"de":      {days: [7]string{"So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."}, clock: h24},
	"it":      {days: [7]string{"dom", "lun", "mar", "mer", "gio", "ven", "sab"}, clock: h24},
	"nl":      {days: [7]string{"zo", "ma", "di", "wo", "do", "vr", "za"}, clock: h24},
	"pl":      {days: [7]string{"niedz.", "pon.", "wt.", "śr.", "czw.", "pt.", "sob."}, clock: h24},
	"id":      {days: [7]string{"Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"}, clock: h24, hm: "."},
	"vi":      {days: [7]string{"CN", "Th 2", "Th 3", "Th 4", "Th 5", "Th 6", "Th 7"}, clock: h24},
	"th":      {days: [7]string{"อา.", "จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส."}, clock: h24},
	"ru":      {days: [7]string{"вс", "пн", "вт", "ср", "чт", "пт", "сб"}, clock: h24},
	"tr":      {days: [7]string{"Paz", "Pzt", "Sal", "Çar", "Per", "Cum", "Cmt"}, clock: h24},
	"ja":      {days: [7]string{"日", "月", "火", "水", "木", "金", "土"}, clock: h24Bare},
	"ko":      {days: [7]string{"일", "월", "화", "수", "목", "금", "토"}, clock: h12, am: "오전", pm: "오후", amFirst: true, sep: " ", dayFmt: "(%d) %t"},
	"zh":      {days: [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}, clock: h24},
	"zh-Hant": {days: [7]string{"週日", "週一", "週二", "週三", "週四", "週五", "週六"}, clock: h12, am: "上午", pm: "下午", amFirst: true},
	"ar":      {days: [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}, clock: h12, am: "ص", pm: "م", sep: " ", zero: '٠'},
	// The Maghreb writes Arabic with Latin digits.
	"ar-MA": {days: [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}, clock: h12, am: "ص", pm: "م", sep: " "},
	"ar-DZ": {days: [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}, clock: h12, am: "ص", pm: "م", sep: " "},
	"ar-TN": {days: [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}, clock: h12, am: "ص", pm: "م", sep: " "},
}

// fallback is for languages without an entry: what the node wrote before.
var fallback = &style{days: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, clock: h24}

// lookup finds the style of a BCP 47 tag (see the package doc).
func lookup(tag string) *style {
	var parts [4]string
	n := 0
	for p := range strings.FieldsFuncSeq(tag, func(r rune) bool { return r == '-' || r == '_' }) {
		if n == len(parts) {
			break
		}
		parts[n] = p
		n++
	}
	if n == 0 {
		return fallback
	}
	lang := strings.ToLower(parts[0])
	script, region := "", ""
	for _, p := range parts[1:n] {
		switch {
		case len(p) == 4 && script == "" && region == "":
			script = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		case (len(p) == 2 || len(p) == 3 && p[0] >= '0' && p[0] <= '9') && region == "":
			region = strings.ToUpper(p)
		}
	}
	if region != "" {
		if s, ok := styles[lang+"-"+region]; ok {
			return s
		}
	}
	if lang == "zh" && (script == "Hant" || script == "" && (region == "TW" || region == "HK" || region == "MO")) {
		return styles["zh-Hant"]
	}
	if s, ok := styles[lang]; ok {
		return s
	}
	return fallback
}

// Weekday returns d's abbreviated name in lang ("jue", "周四", "Do.").
func Weekday(lang string, d time.Weekday) string {
	return lookup(lang).days[d%7]
}

// AppendClock appends t's time of day (t's own zone) as lang writes it:
// "09:05", "9:05 AM", "上午9:05", "٩:٠٥ ص".
func AppendClock(dst []byte, lang string, t time.Time) []byte {
	return lookup(lang).appendClock(dst, t)
}

// Clock returns t's time of day as lang writes it (see AppendClock).
func Clock(lang string, t time.Time) string {
	return string(AppendClock(nil, lang, t))
}

// Format returns t in loc as the customer reads it in lang: the weekday and
// the time ("jue 09:00", "周四 09:00", "Thu 9:00 AM"), or the time alone
// when t falls on now's date in loc ("09:00"). A nil loc is UTC.
func Format(lang string, t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	st := lookup(lang)
	lt, ln := t.In(loc), now.In(loc)
	var buf [64]byte
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return string(st.appendClock(buf[:0], lt))
	}
	f := st.dayFmt
	if f == "" {
		f = "%d %t"
	}
	out := buf[:0]
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) {
			switch f[i+1] {
			case 'd':
				out = append(out, st.days[lt.Weekday()]...)
				i++
				continue
			case 't':
				out = st.appendClock(out, lt)
				i++
				continue
			}
		}
		out = append(out, f[i])
	}
	return string(out)
}

func (st *style) appendClock(dst []byte, t time.Time) []byte {
	h, m := t.Hour(), t.Minute()
	var mark string
	if st.clock == h12 {
		mark = st.am
		if h >= 12 {
			mark = st.pm
		}
		h %= 12
		if h == 0 {
			h = 12
		}
		if st.amFirst {
			dst = append(dst, mark...)
			dst = append(dst, st.sep...)
		}
	}
	if h >= 10 || st.clock == h24 {
		dst = st.digit(dst, h/10)
	}
	dst = st.digit(dst, h%10)
	if st.hm != "" {
		dst = append(dst, st.hm...)
	} else {
		dst = append(dst, ':')
	}
	dst = st.digit(dst, m/10)
	dst = st.digit(dst, m%10)
	if st.clock == h12 && !st.amFirst {
		dst = append(dst, st.sep...)
		dst = append(dst, mark...)
	}
	return dst
}

func (st *style) digit(dst []byte, d int) []byte {
	if st.zero == 0 {
		return append(dst, byte('0'+d))
	}
	return utf8.AppendRune(dst, st.zero+rune(d))
}
