package extract

import "testing"

// Known-valid numbers come from the carriers' published examples as
// collected in github.com/jkeen/tracking_number_data (UPS, USPS IMpb, FedEx,
// DHL, S10) or are worked by hand from the S10 weights.
var checksumCases = []struct {
	name  string
	valid func(string) bool
	good  []string
}{
	{"ups", upsValid, []string{
		"1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591",
		"1Z8V92A70367203024", "1Z6V86420323794365",
	}},
	{"usps impb mod10", func(s string) bool { return mod10Valid([]byte(s)) }, []string{
		"9400111201080805483016", "9505511069605048600624", "9361289878700317633795",
		"9405803699300124287899", "9101123456789000000013",
		"03071790000523483741", // USPS 20
		"568283610012000",      // FedEx Ground 15
		"987654312345672",      // serial and check of FedEx Ground 96 9611020987654312345672
	}},
	{"fedex ground 96", func(s string) bool { return impbValid([]byte(s)) }, []string{
		"9611020987654312345672",
	}},
	{"fedex express", fedexExpressValid, []string{
		"986578788855", "477179081230", "799531274483", "790535312317", "974367662710",
	}},
	{"dhl mod7", mod7Valid, []string{
		"3318810025", "8487135506", "1099255990", "3821724944", "3318810036",
		"3318810014", "73891051146",
	}},
	{"s10", s10Valid, []string{
		"123456785", // RR123456785CN, RB123456785GB
		"000000005", // sum 0: 11 → 5
		"020000000", // sum 12, 12 mod 11 = 1: 10 → 0
		"000000014", // sum 7: 11 − 7 = 4
	}},
}

func TestCheckDigits(t *testing.T) {
	for _, tc := range checksumCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, good := range tc.good {
				if !tc.valid(good) {
					t.Errorf("%s: %s should be valid", tc.name, good)
				}
				// Every other check digit must fail: one digit off.
				last := len(good) - 1
				for d := byte('0'); d <= '9'; d++ {
					if d == good[last] {
						continue
					}
					bad := good[:last] + string(d)
					if tc.valid(bad) {
						t.Errorf("%s: %s (check digit changed) should be invalid", tc.name, bad)
					}
				}
			}
		})
	}
}

// TestCheckDigitsMod10SingleError checks that the 3-1 weighting catches
// every single-digit error anywhere, not only in the check digit.
func TestCheckDigitsMod10SingleError(t *testing.T) {
	good := []byte("9400111201080805483016")
	for i := range good {
		orig := good[i]
		for d := byte('0'); d <= '9'; d++ {
			if d == orig {
				continue
			}
			good[i] = d
			if mod10Valid(good) {
				t.Errorf("%s (digit %d changed) passes the check", good, i)
			}
		}
		good[i] = orig
	}
}

// TestCheckDigitsInText checks that validation decides extraction: a valid
// number is found without a keyword, the same number one digit off is not.
func TestCheckDigitsInText(t *testing.T) {
	tests := []struct {
		good, bad string
		carrier   string
	}{
		{"1Z879E930346834440", "1Z879E930346834441", CarrierUPS},
		{"1Z879E930346834440", "1Z879E930346834450", CarrierUPS},
		{"9400111201080805483016", "9400111201080805483015", CarrierUSPS},
		{"9400111201080805483016", "9400111201080805484016", CarrierUSPS},
		{"RR123456785CN", "RR123456786CN", CarrierUPU},
		{"RR123456785CN", "RR123456885CN", CarrierUPU},
		{"9611020987654312345672", "9611020987654312345673", CarrierFedEx},
	}
	for _, tc := range tests {
		e, ok := First("parcel "+tc.good+" please", TrackingNumber)
		if !ok || e.Value != tc.good || e.Carrier != tc.carrier {
			t.Errorf("%s: got %+v, %v; want carrier %s", tc.good, e, ok, tc.carrier)
		}
		if e, ok := First("parcel "+tc.bad+" please", TrackingNumber); ok {
			t.Errorf("%s (one digit off) was extracted: %+v", tc.bad, e)
		}
	}
	// With a keyword, a 12-digit number one digit off is still a tracking
	// number, but no longer named FedEx.
	e, ok := First("tracking 986578788856", TrackingNumber)
	if !ok || e.Carrier != "" {
		t.Errorf("tracking with a wrong FedEx check digit: %+v, %v", e, ok)
	}
}
