package topology

import "testing"

// TestReadSimpleURLs: a bare configuration with one SimpleUrl object, and an array of
// configurations whose SimpleUrl is an array and whose ActiveUrl is empty (SimpleUrlEntry used).
func TestReadSimpleURLs(t *testing.T) {
	one := `{"Identity":"Global","SimpleUrl":{"Component":"Meet","Domain":"contoso.com","ActiveUrl":"https://meet.contoso.com"}}`
	many := `[{"Identity":{"ScopeClass":"Global"},"SimpleUrl":[{"Component":"Dialin","Domain":"*","ActiveUrl":"","SimpleUrlEntry":[{"Url":"https://dialin.contoso.com"}]},{"Component":"Cscp","Domain":"*","ActiveUrl":"https://admin.contoso.com"}]}]`
	got, err := ReadSimpleURLs([]byte(one))
	if err != nil || len(got) != 1 || got[0].URL != "https://meet.contoso.com" || got[0].Domain != "contoso.com" {
		t.Errorf("one: %+v %v", got, err)
	}
	got, err = ReadSimpleURLs([]byte(many))
	if err != nil || len(got) != 2 || got[0].URL != "https://dialin.contoso.com" || got[1].Component != "Cscp" {
		t.Errorf("many: %+v %v", got, err)
	}
	for _, bad := range []string{`{"Identity":"Global"}`, `"text"`, `{`} {
		if _, err := ReadSimpleURLs([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
