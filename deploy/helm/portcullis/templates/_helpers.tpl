{{/* Names, labels and shared pieces of the Portcullis webhook objects. */}}

{{/* The name of everything: the release name when it says portcullis, else release-portcullis. */}}
{{- define "portcullis.fullname" -}}
{{- if contains "portcullis" .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-portcullis" .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The Service, the workload and the serving certificate. */}}
{{- define "portcullis.webhookName" -}}
{{- printf "%s-webhook" (include "portcullis.fullname" .) -}}
{{- end -}}

{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: portcullis
app.kubernetes.io/component: webhook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portcullis.labels" -}}
{{ include "portcullis.selectorLabels" . }}
app.kubernetes.io/part-of: portcullis
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "portcullis.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The webhook's own deadline: a second under the API server's timeout, at least 1s. */}}
{{- define "portcullis.deadline" -}}
{{- printf "%ds" (max 1 (sub (int .Values.timeoutSeconds) 1)) -}}
{{- end -}}

{{- define "portcullis.failurePolicy" -}}
{{- if eq .Values.failureMode "closed" -}}
Fail
{{- else if eq .Values.failureMode "open" -}}
Ignore
{{- else -}}
{{- fail "failureMode must be open or closed" -}}
{{- end -}}
{{- end -}}

{{/* On both webhook configurations: cert-manager injects the CA unless tls.caBundle is given. */}}
{{- define "portcullis.webhookAnnotations" -}}
{{- if not .Values.tls.caBundle -}}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "portcullis.webhookName" .) }}
{{- end -}}
{{- end -}}

{{/* The fields both webhook entries share; `path` is /validate or /mutate. */}}
{{- define "portcullis.webhookCommon" -}}
admissionReviewVersions:
  - v1
# Dry runs are evaluated too (their events marked as dry runs): `Some` would make the API
# server refuse them. Nothing in the cluster changes either way.
sideEffects: NoneOnDryRun
timeoutSeconds: {{ .root.Values.timeoutSeconds }}
matchPolicy: Equivalent
clientConfig:
  service:
    namespace: {{ .root.Release.Namespace | quote }}
    name: {{ include "portcullis.webhookName" .root }}
    path: {{ .path }}
    port: 443
  {{- with .root.Values.tls.caBundle }}
  caBundle: {{ . }}
  {{- end }}
# kube-system and the webhook's own namespace are never sent, so a broken webhook cannot lock the cluster.
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- uniq (concat (list "kube-system" .root.Release.Namespace) .root.Values.excludeNamespaces) | toYaml | nindent 8 }}
matchConditions:
  - name: not-portcullis-itself
    expression: {{ printf "request.userInfo.username != 'system:serviceaccount:%s:%s'" .root.Release.Namespace (include "portcullis.fullname" .root) | quote }}
{{- end -}}

{{/* The webhook pod, for the Deployment or the StatefulSet. */}}
{{- define "portcullis.podTemplate" -}}
metadata:
  labels:
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- include "portcullis.labels" . | nindent 4 }}
spec:
  serviceAccountName: {{ include "portcullis.fullname" . }}
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "portcullis.selectorLabels" . | nindent 16 }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: webhook
      image: {{ include "portcullis.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      # One garbage collector helper thread rather than Node's four (bench/README.md).
      env:
        - name: NODE_OPTIONS
          value: "--v8-pool-size=1"
      args:
        - webhook
        - --control-plane
        - {{ required "controlPlane.url is required: the control plane this webhook syncs from" .Values.controlPlane.url | quote }}
        - --token-file
        - /var/run/portcullis/token
        - --cluster
        - {{ required "cluster.name is required: this cluster as registered in the control plane" .Values.cluster.name | quote }}
        - --webhook-port
        - "8443"
        - --tls-cert
        - /tls/tls.crt
        - --tls-key
        - /tls/tls.key
        - --failure-mode
        - {{ .Values.failureMode | quote }}
        - --deadline
        - {{ include "portcullis.deadline" . | quote }}
        - --data-dir
        - /var/lib/portcullis
        - --workers
        - {{ .Values.workers | quote }}
        - --handoff-url
        - {{ printf "https://%s.%s.svc" (include "portcullis.webhookName" .) .Release.Namespace | quote }}
        {{- range without (uniq (concat (list .Release.Namespace) .Values.excludeNamespaces)) "kube-system" }}
        - --exclude-namespace
        - {{ . | quote }}
        {{- end }}
        {{- if .Values.controlPlane.caCert }}
        - --ca-file
        - /etc/portcullis/control-plane-ca/ca.crt
        {{- end }}
        {{- if .Values.registryCredentialsSecret }}
        - --registry-credentials
        - /etc/portcullis/registry/config.json
        {{- end }}
        {{- if .Values.registryCredentialHelpers }}
        - --registry-credential-helpers
        - {{ join "," .Values.registryCredentialHelpers | quote }}
        {{- end }}
      ports:
        - name: webhook
          containerPort: 8443
          protocol: TCP
      readinessProbe:
        httpGet:
          path: /readyz
          port: webhook
          scheme: HTTPS
        periodSeconds: 5
        timeoutSeconds: 2
        failureThreshold: 3
      livenessProbe:
        httpGet:
          path: /healthz
          port: webhook
          scheme: HTTPS
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 3
        initialDelaySeconds: 10
      resources:
        {{- if .Values.resources }}
        {{- toYaml .Values.resources | nindent 8 }}
        {{- else }}
        {{- $workers := int .Values.workers }}
        requests:
          cpu: {{ printf "%dm" (mul 100 $workers) }}
          memory: {{ printf "%dMi" (mul 256 $workers) }}
        limits:
          memory: {{ printf "%dMi" (mul 1024 $workers) }}
        {{- end }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop:
            - ALL
      volumeMounts:
        - name: token
          mountPath: /var/run/portcullis
          readOnly: true
        - name: tls
          mountPath: /tls
          readOnly: true
        - name: data
          mountPath: /var/lib/portcullis
        - name: tmp
          mountPath: /tmp
        {{- if .Values.controlPlane.caCert }}
        - name: control-plane-ca
          mountPath: /etc/portcullis/control-plane-ca
          readOnly: true
        {{- end }}
        {{- if .Values.registryCredentialsSecret }}
        - name: registry-credentials
          mountPath: /etc/portcullis/registry
          readOnly: true
        {{- end }}
  # Whole-directory mounts (no subPath), so a rotated token or renewed certificate reaches the pod.
  volumes:
    - name: token
      secret:
        secretName: {{ .Values.tokenSecret | quote }}
        items:
          - key: token
            path: token
        defaultMode: 288 # 0440
    - name: tls
      secret:
        secretName: {{ .Values.tls.secretName | quote }}
        defaultMode: 288 # 0440
    {{- if not .Values.storage.persistent }}
    - name: data
      emptyDir: {}
    {{- end }}
    - name: tmp
      emptyDir: {}
    {{- if .Values.controlPlane.caCert }}
    - name: control-plane-ca
      configMap:
        name: {{ include "portcullis.fullname" . }}-control-plane-ca
    {{- end }}
    {{- if .Values.registryCredentialsSecret }}
    - name: registry-credentials
      secret:
        secretName: {{ .Values.registryCredentialsSecret | quote }}
        items:
          - key: .dockerconfigjson
            path: config.json
        defaultMode: 288 # 0440
    {{- end }}
{{- end -}}
