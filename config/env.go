package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(time.Duration(0))

// applyEnv overrides fields from EDGEDESK_* variables. Unknown EDGEDESK_*
// names are ignored only if they belong to another tool's namespace; names
// that look like ours but match no key are reported, since they are typos.
func (c *Config) applyEnv(environ []string) error {
	fields := map[string]reflect.Value{}
	collectEnv(reflect.ValueOf(c).Elem(), EnvPrefix, fields)
	var errs []error
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		f, known := fields[name]
		if !known {
			if _, reserved := reservedEnv[name]; !reserved && !c.isChannelSecretEnv(name) {
				errs = append(errs, &FieldError{Key: name, Value: val, Reason: "no such setting"})
			}
			continue
		}
		if err := setFromString(f, val); err != nil {
			errs = append(errs, &FieldError{Key: name, Value: val, Reason: err.Error()})
		}
	}
	return errors.Join(errs...)
}

// reservedEnv are EDGEDESK_* variables read elsewhere (scripts, tests, the
// model runtime) rather than by this package.
var reservedEnv = map[string]struct{}{
	"EDGEDESK_CONFIG":  {},
	"EDGEDESK_ORT_LIB": {},
}

// EnvNames lists every environment variable the config reads, for docs and
// tests.
func EnvNames() []string {
	fields := map[string]reflect.Value{}
	collectEnv(reflect.ValueOf(Default()).Elem(), EnvPrefix, fields)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	return names
}

func collectEnv(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + strings.ToUpper(tag)
		fv := v.Field(i)
		if k := fv.Kind(); k == reflect.Map || (k == reflect.Slice && fv.Type().Elem().Kind() != reflect.String) {
			continue // structured values (flows, fallback maps) only come from the file
		}
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			collectEnv(fv, name+"_", out)
			continue
		}
		out[name] = fv
	}
}

func setFromString(f reflect.Value, s string) error {
	s = strings.TrimSpace(s)
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration like 30s or 72h")
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		f.SetInt(n)
	case f.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		f.SetFloat(x)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		f.SetBool(b)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var list []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}
