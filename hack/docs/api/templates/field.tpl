{{- /* field is one row of a struct's field table. Constraints that come from the field's named
type are listed once, in that type's section, and are not repeated on every field using it. */ -}}
{{- define "field" -}}
{{- $f := . -}}
{{- $base := $f.Type -}}
{{- if and (not $f.Type.IsAlias) $f.Type.UnderlyingType }}{{ $base = $f.Type.UnderlyingType }}{{ end -}}
{{- $inherited := list "Optional: {}" "Required: {}" -}}
{{- range $base.Validation }}{{ $inherited = append $inherited . }}{{ end -}}
{{- range index $base.Markers "kubebuilder:validation:XValidation" }}{{ $inherited = append $inherited .Message }}{{ end -}}
{{- $notes := list -}}
{{- range $f.Validation }}{{ if not (has . $inherited) }}{{ $notes = append $notes . }}{{ end }}{{ end -}}
{{- range index $f.Markers "kubebuilder:validation:XValidation" }}{{ if not (has .Message $inherited) }}{{ $notes = append $notes (print "Rule: " .Message) }}{{ end }}{{ end }}
| `{{ $f.Name }}` | {{ markdownRenderType $f.Type }} | {{ if has "Optional: {}" $f.Validation }}no{{ else }}yes{{ end }} | {{ with $f.Default }}`{{ . | replace "{  }" "{}" }}`{{ end }} | {{ markdownRenderFieldDoc ($f.Doc | trim | replace "<" "&lt;" | replace ">" "&gt;") }}{{ range $notes }}<br />_{{ markdownRenderFieldDoc (. | replace "<" "&lt;" | replace ">" "&gt;") }}_{{ end }} |
{{- end -}}
