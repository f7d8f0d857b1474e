// The data model of a task stream: one example, one task, the metric a task is scored by.

/// One prompt/target pair.
///
/// The prompt is split into three parts so that truncation can shorten the input alone:
/// `prompt = prefix + input + suffix`. The target is the completion text the model learns to produce, with
/// its leading space (e.g. `" World"`); the end-of-sequence token is added by the trainer, not here.
public struct Example: Codable, Equatable, Hashable, Sendable {
    /// Everything before the input: instruction and options (O-LoRA), definition (SuperNI), or "" (JSONL).
    public var prefix: String
    /// The sentence / input: the only part truncation may shorten.
    public var input: String
    /// Everything after the input, e.g. `"\nAnswer:"`.
    public var suffix: String
    /// The completion the model is trained on, e.g. `" World"`.
    public var target: String
    /// Acceptable answers for scoring, without the leading space.
    public var references: [String]

    public init(prefix: String, input: String, suffix: String, target: String, references: [String]) {
        self.prefix = prefix
        self.input = input
        self.suffix = suffix
        self.target = target
        self.references = references
    }

    /// The full prompt: `prefix + input + suffix`.
    public var prompt: String { prefix + input + suffix }
}

/// What a task asks for, which decides its metric.
public enum TaskKind: String, Codable, Equatable, Hashable, Sendable, CaseIterable {
    /// A closed label set, scored by exact match.
    case classification
    /// Free text, scored by ROUGE-L.
    case generation

    /// The metric's name as written in results: `"exact_match"` or `"rougeL"`.
    public var metricName: String {
        switch self {
        case .classification: return "exact_match"
        case .generation: return "rougeL"
        }
    }
}

/// One task of a stream: its examples, its kind and where it came from.
public struct TaskData: Codable, Equatable, Sendable {
    /// The task's name: its folder's name (never put into a prompt).
    public var name: String
    public var kind: TaskKind
    /// The label set of a classification task (labels.json order), nil for generation tasks.
    public var labels: [String]?
    public var train: [Example]
    public var test: [Example]
    /// Rows left out because they cannot be scored: test rows whose label is not in labels.json (mnli's 131
    /// test rows labelled "-"), SuperNI instances with no output.
    public var skippedRows: Int
    /// The folder the task was read from (or `builtin:…` for generated tasks).
    public var source: String

    public init(
        name: String, kind: TaskKind, labels: [String]?, train: [Example], test: [Example],
        skippedRows: Int = 0, source: String
    ) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.train = train
        self.test = test
        self.skippedRows = skippedRows
        self.source = source
    }
}
