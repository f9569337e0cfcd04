package events

import "strings"

// A BatchPreset names the processing a batch-processor job ran. The
// constants are the values Daily documents; any other string is kept as
// sent.
type BatchPreset string

// Batch-processor presets.
const (
	BatchPresetTranscript BatchPreset = "transcript"
	// BatchPresetSOAPNotes is taken from the batch processor's submit-job
	// documentation, as this package's specification records it; no
	// webhook example of Daily's shows it, so it is unconfirmed.
	BatchPresetSOAPNotes BatchPreset = "soap-notes"
	BatchPresetSummarize BatchPreset = "summarize"
)

// A BatchStatus is the state of a batch-processor job. The constants are the
// values Daily documents; any other string is kept as sent.
type BatchStatus string

// Batch-processor job states.
const (
	BatchStatusFinished BatchStatus = "finished"
	BatchStatusError    BatchStatus = "error"
)

// A BatchSourceType says what a batch-processor job was given to work on.
// The constants are the values Daily documents; any other string is kept as
// sent.
type BatchSourceType string

// Batch-processor sources.
const (
	BatchSourceRecordingID   BatchSourceType = "recordingId"
	BatchSourceURI           BatchSourceType = "uri"
	BatchSourceTranscriptURI BatchSourceType = "transcriptUri"
)

// A BatchFormat is the file format of a batch-processor output. Daily's
// documentation writes JSON in capitals and its example in lower case, so
// compare formats with Is, which ignores case.
type BatchFormat string

// Batch-processor output formats.
const (
	BatchFormatJSON BatchFormat = "json"
	BatchFormatSRT  BatchFormat = "srt"
	BatchFormatTXT  BatchFormat = "txt"
	BatchFormatVTT  BatchFormat = "vtt"
)

// Is reports whether f and g name the same format, ignoring case.
func (f BatchFormat) Is(g BatchFormat) bool { return strings.EqualFold(string(f), string(g)) }

// S3Config says where a batch-processor output file is in S3.
type S3Config struct {
	// Bucket is the S3 bucket.
	Bucket string `json:"bucket,omitempty"`
	// Key is the object key in the bucket.
	Key string `json:"key,omitempty"`
	// Region is the bucket's AWS region.
	Region string `json:"region,omitempty"`
}

// A BatchFile is one output file of a batch-processor job.
type BatchFile struct {
	// Format is the file format; compare it with Is.
	Format BatchFormat `json:"format,omitempty"`
	// S3Config says where the file is; zero when absent.
	S3Config S3Config `json:"s3Config,omitzero"`
}

// BatchInput is what a batch-processor job processed. Its keys are
// camelCase.
type BatchInput struct {
	// SourceType says what the job was given to work on.
	SourceType BatchSourceType `json:"sourceType,omitempty"`
	// URI is the address of the media or transcript, for the uri and
	// transcriptUri sources.
	URI string `json:"uri,omitempty"`
	// RecordingID is the Daily recording processed, for the recordingId
	// source.
	RecordingID string `json:"recordingId,omitempty"`
	// Language is a BCP 47 language code, for the uri source.
	Language string `json:"language,omitempty"`
}

// BatchOutput lists the files a batch-processor job produced. Each member
// is present only if the job produced it: nil when absent.
type BatchOutput struct {
	// SOAP is the SOAP-note output.
	SOAP *BatchFile `json:"soap,omitempty"`
	// Concept is the concept-extraction output.
	Concept *BatchFile `json:"concept,omitempty"`
	// Summary is the summary output.
	Summary *BatchFile `json:"summary,omitempty"`
	// Transcription has one entry per transcript file format.
	Transcription []BatchFile `json:"transcription,omitzero"`
}

// A BatchJob is the payload of the batch-processor events.
type BatchJob struct {
	// ID identifies the batch-processor job.
	ID string `json:"id,omitempty"`
	// Preset is the processing the job ran.
	Preset BatchPreset `json:"preset,omitempty"`
	// Status is the state of the job.
	Status BatchStatus `json:"status,omitempty"`
	// Input is what the job processed; zero when absent.
	Input BatchInput `json:"input,omitzero"`
	// Output lists the files produced; batch-processor.job-finished only.
	Output BatchOutput `json:"output,omitzero"`
	// Error describes the failure; batch-processor.error only.
	Error string `json:"error,omitempty"`
}
