{{/* name is the chart name, or nameOverride. */}}
{{- define "ucdeploy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* fullname prefixes every object name: fullnameOverride, or the release name when it already
contains the chart name, or <release>-<chart>. */}}
{{- define "ucdeploy.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "ucdeploy.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* manager names the Deployment, ClusterRole and ClusterRoleBinding: <fullname>-manager. */}}
{{- define "ucdeploy.manager" -}}
{{- printf "%s-manager" (include "ucdeploy.fullname" .) -}}
{{- end -}}

{{/* serviceAccountName is the manager's ServiceAccount. */}}
{{- define "ucdeploy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ucdeploy.manager" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* selectorLabels select the manager's pods. */}}
{{- define "ucdeploy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ucdeploy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{/* labels go on every object. */}}
{{- define "ucdeploy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "ucdeploy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
