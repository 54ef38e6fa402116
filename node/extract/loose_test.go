package extract

import "testing"

func TestLoose(t *testing.T) {
	tests := []struct {
		text    string
		kind    Kind
		want    string // "" = not found
		carrier string
	}{
		// Order numbers: the question asked for one.
		{"12345", OrderNumber, "12345", ""},
		{"A-1234-5678", OrderNumber, "A-1234-5678", ""},
		{"#12345", OrderNumber, "12345", ""},
		{"it's 12345", OrderNumber, "12345", ""},
		{"It’s ab12345 I think", OrderNumber, "AB12345", ""},
		{"es el 12345", OrderNumber, "12345", ""},
		{"是123456", OrderNumber, "123456", ""},
		{"１２３４５", OrderNumber, "12345", ""},
		{"order 777 is wrong, it is order 88888", OrderNumber, "88888", ""},
		{"13800138000", OrderNumber, "13800138000", ""},
		{"1Z879E930346834440", OrderNumber, "", ""}, // a tracking number
		{"john@example.com", OrderNumber, "", ""},
		{"I don't know", OrderNumber, "", ""},
		{"2024-05-01", OrderNumber, "", ""},
		{"$12.99", OrderNumber, "", ""},
		{"1.234,56 €", OrderNumber, "", ""},
		{"10:30", OrderNumber, "", ""},
		{"3", OrderNumber, "", ""},
		{"5000 pcs", OrderNumber, "", ""},
		// Phones.
		{"555 123 4567", Phone, "5551234567", ""},
		{"my number is 5512345678", Phone, "5512345678", ""},
		{"(555) 123-4567", Phone, "5551234567", ""},
		{"+44 20 7946 0958", Phone, "+442079460958", ""},
		{"tel 1234567", Phone, "1234567", ""}, // keyword: 7 digits are enough
		{"1234567", Phone, "", ""},            // bare: 8 or more
		{"order 12345678", Phone, "", ""},     // an order number
		{"2024-05-01", Phone, "", ""},
		{"12345", Phone, "", ""},
		{"$12,345,678", Phone, "", ""},
		// Emails.
		{"john at example dot com", Email, "john@example.com", ""},
		{"john(at)example(dot)com", Email, "john@example.com", ""},
		{"JOHN [at] Example.COM", Email, "JOHN@example.com", ""},
		{"john @ example.com", Email, "john@example.com", ""},
		{"john at example.com. thanks", Email, "john@example.com", ""},
		{"juan arroba correo punto es", Email, "juan@correo.es", ""},
		{"a@b.com", Email, "a@b.com", ""},
		{"I'm at home", Email, "", ""},
		{"john at example", Email, "", ""},
		// Tracking numbers.
		{"123456789012", TrackingNumber, "123456789012", CarrierFedEx},
		{"3318810025", TrackingNumber, "3318810025", CarrierDHL},
		{"LP00123456789012", TrackingNumber, "LP00123456789012", ""},
		{"1Z879E930346834440", TrackingNumber, "1Z879E930346834440", CarrierUPS},
		{"12345", TrackingNumber, "", ""},
		{"$1234567890.00", TrackingNumber, "", ""},
		// Unknown kind.
		{"12345", Kind("colour"), "", ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind)+"/"+tc.text, func(t *testing.T) {
			e, ok := Loose(tc.text, tc.kind)
			if tc.want == "" {
				if ok {
					t.Errorf("Loose(%q, %s) = %+v, want nothing", tc.text, tc.kind, e)
				}
				return
			}
			if !ok || e.Kind != tc.kind || e.Value != tc.want || e.Carrier != tc.carrier {
				t.Fatalf("Loose(%q, %s) = %+v, %v; want %q carrier %q", tc.text, tc.kind, e, ok, tc.want, tc.carrier)
			}
			if e.Start < 0 || e.End > len(tc.text) || e.Start >= e.End {
				t.Errorf("Loose(%q, %s): bad span %d:%d", tc.text, tc.kind, e.Start, e.End)
			}
		})
	}
}
