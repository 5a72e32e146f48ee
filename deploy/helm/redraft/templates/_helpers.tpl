{{/* Names, labels and the addresses every template derives from the release. */}}

{{- define "redraft.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The full name. StatefulSet pods are named <fullname>-<ordinal> and that name is also a DNS
label (63 characters at most) and a label value: keep the base to 52 characters so that
"-<ordinal>" and the controller-revision-hash label Kubernetes adds still fit.
*/}}
{{- define "redraft.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "redraft.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "redraft.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redraft.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "redraft.labels" -}}
helm.sh/chart: {{ include "redraft.chart" . }}
{{ include "redraft.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Members carry this label (and the selector labels) and are the only pods the PDB counts. */}}
{{- define "redraft.memberLabels" -}}
{{ include "redraft.selectorLabels" . }}
app.kubernetes.io/component: member
{{- end -}}

{{/* The label that lets a pod through the NetworkPolicy to the client ports. */}}
{{- define "redraft.clientLabelKey" -}}
{{- printf "%s-client" (include "redraft.fullname" .) -}}
{{- end -}}

{{- define "redraft.headlessName" -}}
{{- printf "%s-headless" (include "redraft.fullname" .) -}}
{{- end -}}

{{- define "redraft.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "redraft.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "redraft.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* <headless>.<namespace>.svc.<domain>: the domain of every member's own DNS name. */}}
{{- define "redraft.membersDomain" -}}
{{- printf "%s.%s.svc.%s" (include "redraft.headlessName" .) .Release.Namespace .Values.cluster.clusterDomain -}}
{{- end -}}

{{/* The client Service's fully qualified name. */}}
{{- define "redraft.clientHost" -}}
{{- printf "%s.%s.svc.%s" (include "redraft.fullname" .) .Release.Namespace .Values.cluster.clusterDomain -}}
{{- end -}}

{{/*
--initial-cluster: id=<pod DNS name>:<peer port> for the founding pods, id = ordinal + 1.
Depends on initialReplicas only, never on replicas, so that scaling never changes the pod
template (which would restart every member).
*/}}
{{- define "redraft.initialCluster" -}}
{{- $fullname := include "redraft.fullname" . -}}
{{- $domain := include "redraft.membersDomain" . -}}
{{- $members := list -}}
{{- range $ordinal := until (int .Values.cluster.initialReplicas) -}}
{{- $members = append $members (printf "%d=%s-%d.%s:%d" (add1 $ordinal) $fullname $ordinal $domain (int $.Values.ports.peer)) -}}
{{- end -}}
{{- join "," $members -}}
{{- end -}}

{{- define "redraft.authSecretName" -}}
{{- default (printf "%s-auth" (include "redraft.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "redraft.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "redraft.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{/* http or https, for probes and the ServiceMonitor. */}}
{{- define "redraft.httpScheme" -}}
{{- if .Values.tls.enabled -}}HTTPS{{- else -}}HTTP{{- end -}}
{{- end -}}

{{/*
Rules that values.schema.json cannot express, checked once per render (the StatefulSet
includes this). A failure stops `helm install/upgrade/template` with the message.
*/}}
{{- define "redraft.validate" -}}
{{- if lt (int .Values.replicas) (int .Values.cluster.initialReplicas) -}}
{{- fail (printf "replicas (%d) must be at least cluster.initialReplicas (%d): the founding members bootstrap from each other and cannot be removed" (int .Values.replicas) (int .Values.cluster.initialReplicas)) -}}
{{- end -}}
{{- if ge (int .Values.cluster.heartbeatTicks) (int .Values.cluster.electionTicks) -}}
{{- fail "cluster.heartbeatTicks must be smaller than cluster.electionTicks" -}}
{{- end -}}
{{- if ge (int .Values.preStopDelaySeconds) (int .Values.terminationGracePeriodSeconds) -}}
{{- fail "preStopDelaySeconds must be shorter than terminationGracePeriodSeconds: the server needs time after SIGTERM to hand over leadership and close its log" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.existingSecret) (not .Values.tls.autoGenerate) -}}
{{- fail "tls.enabled needs tls.existingSecret or tls.autoGenerate" -}}
{{- end -}}
{{- $existing := lookup "apps/v1" "StatefulSet" .Release.Namespace (include "redraft.fullname" .) -}}
{{- if $existing -}}
{{- $was := index ($existing.metadata.annotations | default dict) "redraft.io/initial-replicas" | default "" -}}
{{- if and $was (ne $was (toString .Values.cluster.initialReplicas)) -}}
{{- fail (printf "cluster.initialReplicas is %s for this release and cannot change (asked: %d)" $was (int .Values.cluster.initialReplicas)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
