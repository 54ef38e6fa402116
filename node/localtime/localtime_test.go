package localtime

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	mx, _ := time.LoadLocation("America/Mexico_City")
	// Thursday 2026-11-26 09:00 and 15:30 in Mexico City; "now" is the
	// Tuesday before.
	thu9 := time.Date(2026, 11, 26, 9, 0, 0, 0, mx)
	thu1530 := time.Date(2026, 11, 26, 15, 30, 0, 0, mx)
	sun0005 := time.Date(2026, 11, 29, 0, 5, 0, 0, mx)
	tue := time.Date(2026, 11, 24, 12, 0, 0, 0, mx)
	for _, tc := range []struct {
		lang string
		at   time.Time
		want string
	}{
		{"en", thu9, "Thu 9:00 AM"},
		{"en-US", thu1530, "Thu 3:30 PM"},
		{"en-GB", thu9, "Thu 09:00"},
		{"en_ie", thu1530, "Thu 15:30"},
		{"en-AU", sun0005, "Sun 12:05 am"},
		{"es", thu9, "jue 09:00"},
		{"es-MX", thu1530, "jue 15:30"},
		{"es-419", thu9, "jue 09:00"},
		{"es-US", thu1530, "jue 3:30 p. m."},
		{"pt-BR", thu9, "qui. 09:00"},
		{"fr-FR", sun0005, "dim. 00:05"},
		{"de", thu9, "Do. 09:00"},
		{"de-AT", thu1530, "Do. 15:30"},
		{"it", thu9, "gio 09:00"},
		{"nl", thu9, "do 09:00"},
		{"ru", thu9, "чт 09:00"},
		{"pl", thu1530, "czw. 15:30"},
		{"id", thu9, "Kam 09.00"},
		{"id-ID", thu1530, "Kam 15.30"},
		{"vi", thu9, "Th 5 09:00"},
		{"th", sun0005, "อา. 00:05"},
		{"tr", thu9, "Per 09:00"},
		{"ja", thu9, "木 9:00"},
		{"ja-JP", thu1530, "木 15:30"},
		{"ko", thu1530, "(목) 오후 3:30"},
		{"zh", thu9, "周四 09:00"},
		{"zh-CN", thu1530, "周四 15:30"},
		{"zh-Hans-TW", thu9, "周四 09:00"},
		{"zh-Hant", thu9, "週四 上午9:00"},
		{"zh-TW", thu1530, "週四 下午3:30"},
		{"zh-HK", sun0005, "週日 上午12:05"},
		{"ar", thu1530, "الخميس ٣:٣٠ م"},
		{"ar-EG", thu9, "الخميس ٩:٠٠ ص"},
		{"ar-MA", thu9, "الخميس 9:00 ص"},
		{"sw", thu9, "Thu 09:00"},
		{"", thu1530, "Thu 15:30"},
		{"x", thu9, "Thu 09:00"},
	} {
		if got := Format(tc.lang, tc.at, tue, mx); got != tc.want {
			t.Errorf("Format(%q, %s) = %q, want %q", tc.lang, tc.at, got, tc.want)
		}
	}
}

func TestFormatToday(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC) // 15:00 in Shanghai
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // 18:00 the same day there
	if got := Format("zh", at, now, sh); got != "18:00" {
		t.Errorf("today in Shanghai: %q", got)
	}
	if got := Format("en", at, now, sh); got != "6:00 PM" {
		t.Errorf("today, en: %q", got)
	}
	// The same instants in New York fall on different dates.
	ny, _ := time.LoadLocation("America/New_York")
	if got := Format("en-GB", at.Add(30*time.Hour), now, ny); got != "Fri 11:00" {
		t.Errorf("another day in New York: %q", got)
	}
	if got := Format("de", at, now, nil); got != "10:00" {
		t.Errorf("nil zone (UTC): %q", got)
	}
}

func TestWeekdayAndClock(t *testing.T) {
	if got := Weekday("fr-CA", time.Saturday); got != "sam." {
		t.Errorf("Weekday = %q", got)
	}
	noon := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if got := Clock("en", noon); got != "12:00 PM" {
		t.Errorf("Clock = %q", got)
	}
	if got := Clock("zh-Hant", noon.Add(-time.Minute)); got != "上午11:59" {
		t.Errorf("Clock = %q", got)
	}
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = AppendClock(buf[:0], "es-MX", noon) }); n != 0 {
		t.Errorf("AppendClock allocates %v times", n)
	}
}
