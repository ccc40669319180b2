{{- define "type" -}}
{{- $t := . -}}
{{- if markdownShouldRenderType $t }}

### {{ $t.Name }}
{{- if $t.IsAlias }}

Underlying type: {{ markdownRenderTypeLink $t.UnderlyingType }}
{{- end }}

{{ $t.Doc | trim | replace "<" "&lt;" | replace ">" "&gt;" }}
{{- template "typeConstraints" $t }}
{{- if $t.References }}

Used by: {{ range $i, $r := $t.SortedReferences }}{{ if $i }}, {{ end }}{{ markdownRenderTypeLink $r }}{{ end }}
{{- end }}
{{- if $t.Members }}

| Field | Type | Required | Default | Description |
| --- | --- | --- | --- | --- |
{{- if $t.GVK }}
| `apiVersion` | string | yes | | `{{ $t.GVK.Group }}/{{ $t.GVK.Version }}` |
| `kind` | string | yes | | `{{ $t.GVK.Kind }}` |
{{- end }}
{{- range $t.Members }}
{{- template "field" . }}
{{- end }}
{{- end }}
{{- if $t.EnumValues }}

| Value | Meaning |
| --- | --- |
{{- range $t.EnumValues }}
| `{{ .Name }}` | {{ markdownRenderFieldDoc (.Doc | trim | replace "<" "&lt;" | replace ">" "&gt;") }} |
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
