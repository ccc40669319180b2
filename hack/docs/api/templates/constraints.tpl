{{- /* typeConstraints lists a named type's validation: schema keywords and CEL rules (by message). */ -}}
{{- define "typeConstraints" -}}
{{- $t := . -}}
{{- $notes := list -}}
{{- range $t.Validation }}{{ if not (has . (list "Optional: {}" "Required: {}")) }}{{ $notes = append $notes . }}{{ end }}{{ end -}}
{{- range index $t.Markers "kubebuilder:validation:XValidation" }}{{ $notes = append $notes (print "Rule: " .Message) }}{{ end -}}
{{- if $notes }}

Validation:
{{ range $notes }}
- {{ . | replace "<" "&lt;" | replace ">" "&gt;" }}
{{- end }}
{{- end }}
{{- end -}}
