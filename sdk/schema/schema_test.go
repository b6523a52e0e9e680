package schema_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xroam/xroam/sdk/schema"
)

var s = schema.Schema{Attrs: []schema.Attr{
	{Name: "filename", Type: schema.String, Required: true},
	{Name: "timeout", Type: schema.Duration, Default: "10s"},
	{Name: "level", Type: schema.Int, Default: 3},
	{Name: "uid", Type: schema.Strings},
	{Name: "on", Type: schema.Bool},
}}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    schema.Values
		wantErr string
	}{
		{"defaults", map[string]any{"filename": "f"}, schema.Values{"filename": "f", "timeout": "10s", "level": int64(3)}, ""},
		{"json numbers", map[string]any{"filename": "f", "level": float64(7), "uid": []any{"a"}}, schema.Values{"filename": "f", "timeout": "10s", "level": int64(7), "uid": []string{"a"}}, ""},
		{"missing", map[string]any{}, nil, `missing required attribute "filename"`},
		{"unknown", map[string]any{"filename": "f", "nope": 1}, nil, `attribute "nope": unknown attribute`},
		{"wrong type", map[string]any{"filename": 1}, nil, `attribute "filename": want a string, got number`},
		{"fraction", map[string]any{"filename": "f", "level": 1.5}, nil, "whole number"},
		{"duration", map[string]any{"filename": "f", "timeout": "soon"}, nil, "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Check(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestFromStrings(t *testing.T) {
	in, err := s.FromStrings(map[string][]string{"filename": {"x"}, "uid": {"1000:bob", "0"}, "on": {"yes"}, "level": {"9"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Check(in)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Values{"filename": "x", "uid": []string{"1000", "bob", "0"}, "on": true, "level": int64(9), "timeout": "10s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if _, err := s.FromStrings(map[string][]string{"level": {"high"}}); err == nil {
		t.Fatal("bad int accepted")
	}
}
