package badinput_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Expected outcomes.
const (
	// expectRejected: the API server refuses the create; its message contains field and message.
	// The CLI exits 2 naming the file and the field.
	expectRejected = "rejected"
	// expectFinding: the object is stored; its plan has the finding code at severity (at path
	// field when given). The CLI exits 1 for an Error finding, 0 for a Warning or Info one.
	expectFinding = "finding"
	// expectAccepted: the object is stored and the CLI exits 0.
	expectAccepted = "accepted"
)

// requiredClasses must each have at least one case.
var requiredClasses = []string{
	"fqdn", "wildcard", "ip", "port", "duplicate", "edition", "enum", "edge-port", "internal-name",
	"size", "unknown-field", "type", "required", "cross-field", "metadata", "key",
}

// minCases is the least number of cases the corpus must hold.
const minCases = 45

// testCase is one file of testdata: a UCDeployment and, in its leading comment lines
// ("# key: value"), what must happen to it.
type testCase struct {
	File string // base name
	Path string // testdata/<file>, as given to the CLI
	Data []byte

	About   string // what is wrong, in words
	Class   string // the kind of bad input
	Expect  string // expectRejected, expectFinding or expectAccepted
	Field   string // rejected: a substring of both messages; finding: the finding's path (optional)
	Message string // rejected: a substring of the API server's message, and of the CLI's unless CLIMessage is set
	// CLIMessage (rejected, optional) is a substring of the CLI's message when its wording differs
	// from the API server's: the server's strict decoder words some errors its own way.
	CLIMessage string
	Code       string // finding: the finding code
	Severity   string // finding: Error, Warning or Info
}

// loadCorpus reads and checks every testdata/*.yaml, sorted by name.
func loadCorpus(t testing.TB) []*testCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	var cases []*testCase
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tc, err := parseCase(path, data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		cases = append(cases, tc)
	}
	if t.Failed() {
		t.FailNow()
	}
	return cases
}

// parseCase reads the header of one case.
func parseCase(path string, data []byte) (*testCase, error) {
	tc := &testCase{File: filepath.Base(path), Path: filepath.ToSlash(path), Data: data}
	fields := map[string]*string{
		"about": &tc.About, "class": &tc.Class, "expect": &tc.Expect, "field": &tc.Field,
		"message": &tc.Message, "cli-message": &tc.CLIMessage, "code": &tc.Code, "severity": &tc.Severity,
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "#")
		if !ok {
			break
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		dst, known := fields[key]
		if !ok || !known {
			return nil, fmt.Errorf("header line %q is not \"# key: value\" with a key of %s", line, strings.Join(sortedKeys(fields), ", "))
		}
		if *dst != "" {
			return nil, fmt.Errorf("header key %s given twice", key)
		}
		*dst = strings.TrimSpace(value)
	}
	if tc.Class == "" || tc.About == "" {
		return nil, fmt.Errorf("header needs # about: and # class:")
	}
	switch tc.Expect {
	case expectRejected:
		if tc.Field == "" || tc.Message == "" {
			return nil, fmt.Errorf("expect: rejected needs # field: and # message:")
		}
		if tc.Code != "" || tc.Severity != "" {
			return nil, fmt.Errorf("expect: rejected takes no # code: or # severity:")
		}
	case expectFinding:
		if tc.Code == "" || !slices.Contains([]plan.Severity{plan.SeverityError, plan.SeverityWarning, plan.SeverityInfo}, plan.Severity(tc.Severity)) {
			return nil, fmt.Errorf("expect: finding needs # code: and # severity: Error, Warning or Info")
		}
		if tc.Message != "" || tc.CLIMessage != "" {
			return nil, fmt.Errorf("expect: finding takes no # message: or # cli-message:")
		}
	case expectAccepted:
		if tc.Field != "" || tc.Message != "" || tc.CLIMessage != "" || tc.Code != "" || tc.Severity != "" {
			return nil, fmt.Errorf("expect: accepted takes no other expectation")
		}
	default:
		return nil, fmt.Errorf("# expect: is %q, want rejected, finding or accepted", tc.Expect)
	}
	return tc, nil
}

// TestCorpusIsComplete checks the corpus itself, without a lab: enough cases, every class of
// bad input covered, well-formed headers.
func TestCorpusIsComplete(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < minCases {
		t.Errorf("the corpus has %d cases, want at least %d", len(cases), minCases)
	}
	count := map[string]int{}
	for _, tc := range cases {
		count[tc.Class]++
	}
	for _, c := range requiredClasses {
		if count[c] == 0 {
			t.Errorf("no case of class %s", c)
		}
	}
	t.Logf("%d cases: %v", len(cases), count)
}
