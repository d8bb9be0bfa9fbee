// Package recstore keeps call recordings in a customer's own S3 bucket,
// reached through AWS STS AssumeRole. A base identity (the customer's base
// IAM user keys, or the recorder's own AWS identity) only calls
// sts:AssumeRole on the customer's role, with an External ID; every S3
// request is then signed with the temporary session, renewed before it
// expires.
//
// # The layers
//
// A [Config] is one customer's storage settings, under the product's JSON
// keys ([ParseConfig], [LoadConfig], [ConfigFromEnv]); [Settings] lists
// them. [Config.Validate] checks them against AWS's rules without touching
// the network.
//
// The session: [Open] builds, for a Config, an sts:AssumeRole provider
// with the base identity and a cache that renews the session before it
// ends. Concurrent callers share one STS call; when S3 rejects a session,
// one new AssumeRole and one retry follow; after a failure that will not
// fix itself, STS is asked again only after a back-off ([BackoffError]).
// [WithBaseCredentials] makes the process's own identity the base one
// ([DefaultBaseCredentials]: IRSA, Pod Identity, ECS, EC2).
//
// A [Store] is one customer's bucket, safe for concurrent use and meant to
// be long-lived: [Store.Upload] streams a recording of unknown length in
// parts with bounded memory and leaves nothing behind on failure;
// [Store.Download], [Store.Stat], [Store.Copy], [Store.Delete],
// [Store.List], [Store.PresignGet], [Store.SetRetention] and
// [Store.SetLegalHold] do what their names say.
//
// A [Pool] ([NewPool]) keeps one Store per tenant for a service with many
// customers: one HTTP transport, one memory budget for part buffers
// ([WithMemoryLimit]) and the STS counts, shared by all. A tenant's Config
// is the customer's, so a Pool treats it as untrusted: the vendor chooses
// the External IDs ([WithTenantExternalID]), and a tenant may name only
// AWS's endpoints or those the process allows ([WithAllowedEndpoints]),
// checked again at dial time.
//
// A [Spool] ([OpenSpool]) is a durable local buffer in front of a Pool: a
// recording is written to local disk ([Spool.Create], [Recording.Commit]),
// never waiting on S3, while its parts are already uploaded, and it is
// delivered to its tenant's bucket exactly once, through failures,
// restarts and crashes, resuming its multipart upload where it stopped;
// [TenantConfigs] gives a tenant's Config when it is needed, so that the
// spool's files hold no secret. [ListSpool] reads what a spool directory
// holds.
//
// Beside them, [Verify] is the product's Test button: it opens a Store for
// a Config and runs, as checks, each step a recorder needs, from asking
// STS who the base identity is to aborting a multipart upload; its
// [Report] says which check failed, why and what to change, for people
// (String) and for a UI (JSON). The IAM documents the customer's AWS admin
// needs are built from the same Config: [BaseUserPolicy], [TrustPolicy],
// [RolePolicy], [KMSKeyPolicy].
//
// # Options
//
// Each part takes its own option type, so that an option passed where it
// does not apply does not compile: [Option] configures a Store (Open),
// [PoolOption] a Pool, [VerifyOption] Verify, [UploadOption] an upload,
// [DeleteOption] a delete, [PolicyOption] a role policy and
// [TemplateOption] a template of the customer's side. [WithStoreOptions]
// gives Store options to every Store a Pool or Verify opens, and tells a
// template what the recorder's AssumeRole sends; [WithMemoryLimit] serves
// both Open and NewPool. No options means all defaults.
//
// # Errors
//
// Bad input is refused before any request: a [*ConfigError] per invalid
// setting, naming its Go field and JSON key ([ConfigErrors]), matching
// [ErrInvalidConfig]; [ErrInvalidKey] and [ErrInvalidArgument] for
// arguments. Every failed request returns an [*Error]: the operation
// (s3:PutObject, sts:AssumeRole), bucket and key, AWS's code, status and
// request ID, and the diagnosis of one classifier, which every error of
// every operation goes through. An *Error matches the sentinel of its
// class with errors.Is ([ErrS3AccessDenied], [ErrAssumeRoleDenied],
// [ErrNetwork]...), and errors.As still reaches the AWS SDK's
// smithy.APIError. [Diagnose] gives the likely cause and the fix of any
// error recstore returns. Secrets never appear in an error, a log, a
// span or a report.
//
// # Where things are
//
// The files of this package, by prefix: config (Config, its settings,
// JSON, environment and validation), assumerole (the session, its base
// identity and back-off), storage (Store: Open and its options, then one
// file per operation; storage_multipart.go is the one multipart lifecycle
// of Upload, Copy and Verify), pool, verifier (Verify, its checks and
// Report; verifier_probes.go holds the Store operations only Verify
// needs), errors (Error, ConfigError, the sentinels, Diagnose), telemetry
// (OpenTelemetry spans and metrics, log events), policy (the IAM
// documents, for a bucket or an access point) and template (the
// customer's role, and optionally bucket, as CloudFormation or Terraform,
// made from those documents). The classifier itself is internal/diagnose. The command
// cmd/recstore is the operators' tool over this package, and cmd/sandbox
// runs the whole flow on a local MinIO with an AWS-like STS.
package recstore
