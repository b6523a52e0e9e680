package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Suggest returns the candidate closest to s, or "" when none is close
// enough to be a plausible typo.
func Suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WriteDiagnostics prints HCL diagnostics as "file:line:col: severity:
// summary; detail", each followed by the offending source line, so that
// editors and people can both find the place.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte) error {
	var b bytes.Buffer
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + strings.TrimSuffix(d.Detail, ".")
		}
		if d.Subject == nil {
			fmt.Fprintf(&b, "%s: %s\n", sev, msg)
			continue
		}
		r := d.Subject
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, msg)
		if line, ok := sourceLine(sources[r.Filename], r.Start.Line); ok {
			fmt.Fprintf(&b, "  %4d | %s\n", r.Start.Line, line)
			fmt.Fprintf(&b, "       | %s^\n", strings.Repeat(" ", max(0, r.Start.Column-1)))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if n > len(lines) {
		return "", false
	}
	return strings.ReplaceAll(strings.TrimRight(lines[n-1], "\r"), "\t", " "), true
}
