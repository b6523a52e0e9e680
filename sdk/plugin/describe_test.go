package plugin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/xroam/xroam/sdk/plugin"
)

// TestDescribeListsEncodings: an encoder's describe output carries the
// encodings it serves, which is what the host routes encodings by; a
// description without any leaves the key out, as plugins built before the
// field did.
func TestDescribeListsEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		encs []string
	}{
		{"qoi", []string{"qoi", "qoi/L"}},
		{"old", nil},
	} {
		var out bytes.Buffer
		p := plugin.Encoder{Name: tc.name, Version: "1", Encodings: tc.encs}
		if rc := plugin.Main([]string{"describe"}, &out, io.Discard, p); rc != 0 {
			t.Fatalf("%s: describe exited %d", tc.name, rc)
		}
		var d plugin.Description
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(d.Encodings, tc.encs) {
			t.Errorf("%s: describe lists encodings %v, want %v", tc.name, d.Encodings, tc.encs)
		}
		if has := strings.Contains(out.String(), `"encodings"`); has != (tc.encs != nil) {
			t.Errorf("%s: describe printed %s", tc.name, out.String())
		}
	}
}
