package agentws

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/edgedesk/edgedesk/node/session"
)

// errNotObject answers a frame that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// decode reads an agent's frame into f. Its errors are the node's own
// words, naming the field: a console learns which field is wrong, not how
// Go's decoder failed. A field of the wrong type leaves the others
// decoded (the cid, for the error frame).
func decode(data []byte, f *inFrame) error {
	err := json.Unmarshal(data, f)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return errNotObject
	}
	want := "a string"
	switch te.Type.Kind() {
	case reflect.Bool:
		want = "true or false"
	case reflect.Int:
		want = "an integer"
	}
	return errors.New("field " + te.Field + " must be " + want)
}

// validCID is cid when it may be echoed (session.ValidCID), else "".
func validCID(cid string) string {
	if session.ValidCID(cid) {
		return cid
	}
	return ""
}
