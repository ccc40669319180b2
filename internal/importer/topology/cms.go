package topology

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ReadSimpleURLs reads the output of
//
//	Get-CsSimpleUrlConfiguration | ConvertTo-Json -Depth 5
//
// (docs/import.md): one configuration object or an array of them (ConvertTo-Json writes a single
// object bare), each with SimpleUrl, one simple URL or an array, of Component, Domain and
// ActiveUrl (SimpleUrlEntry's Url when ActiveUrl is empty).
func ReadSimpleURLs(data []byte) ([]SimpleURL, error) {
	type entry struct {
		URL string `json:"Url"`
	}
	type simpleURL struct {
		Component      string          `json:"Component"`
		Domain         string          `json:"Domain"`
		ActiveURL      string          `json:"ActiveUrl"`
		SimpleURLEntry json.RawMessage `json:"SimpleUrlEntry"`
	}
	type config struct {
		Identity json.RawMessage `json:"Identity"` // a string, or an object in some shells

		SimpleURL json.RawMessage `json:"SimpleUrl"`
	}
	configs, err := oneOrMany[config](data)
	if err != nil {
		return nil, fmt.Errorf("--cms: expected the JSON of Get-CsSimpleUrlConfiguration | ConvertTo-Json -Depth 5: %w", err)
	}
	var out []SimpleURL
	for _, c := range configs {
		var identity string
		_ = json.Unmarshal(c.Identity, &identity) // left empty when Identity is an object
		if c.SimpleURL == nil {
			return nil, errors.New("--cms: an object without SimpleUrl: expected the JSON of Get-CsSimpleUrlConfiguration | ConvertTo-Json -Depth 5")
		}
		urls, err := oneOrMany[simpleURL](c.SimpleURL)
		if err != nil {
			return nil, fmt.Errorf("--cms: SimpleUrl of %q: %w", identity, err)
		}
		for _, u := range urls {
			active := u.ActiveURL
			if active == "" && u.SimpleURLEntry != nil {
				if entries, err := oneOrMany[entry](u.SimpleURLEntry); err == nil && len(entries) > 0 {
					active = entries[0].URL
				}
			}
			out = append(out, SimpleURL{Component: u.Component, Domain: u.Domain, URL: active, Source: "--cms " + identity + " SimpleUrl"})
		}
	}
	return out, nil
}

// oneOrMany decodes a JSON value that ConvertTo-Json writes as a bare object when there is one
// and as an array when there are several.
func oneOrMany[T any](data []byte) ([]T, error) {
	var many []T
	if err := json.Unmarshal(data, &many); err == nil {
		return many, nil
	}
	var one T
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}
