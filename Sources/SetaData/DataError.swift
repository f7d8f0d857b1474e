// Typed errors of the data layer: each names the file (or folder) and says what was expected and found.

/// Why a task folder, stream or benchmark could not be loaded.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The task (or data) folder does not exist.
    case folderMissing(path: String)
    /// No known set of files in a task folder; `found` lists what is there.
    case unknownFormat(folder: String, found: [String])
    /// A required file of a recognised format is absent (e.g. labels.json of an O-LoRA task).
    case missingFile(path: String, reason: String)
    /// A JSON file that does not parse or does not have the expected shape.
    case malformedJSON(path: String, detail: String)
    /// A JSONL line that does not parse or lacks a field; `line` counts from 1.
    case malformedJSONL(path: String, line: Int, detail: String)
    /// A split with no usable example.
    case emptyTask(path: String, split: String)
    /// A training row whose label is not in labels.json (test rows like that are skipped and counted instead).
    case unknownLabel(path: String, row: Int, label: String, labels: [String])
    /// The same task twice in one stream.
    case duplicateTask(name: String, folder: String)
    /// A task name not present in the data folder.
    case unknownTask(name: String, folder: String, available: [String])
    /// A benchmark name that is not one of the named benchmarks.
    case unknownBenchmark(name: String, available: [String])

    public var description: String {
        switch self {
        case .folderMissing(let path):
            return "Task folder \(path) does not exist."
        case .unknownFormat(let folder, let found):
            let files = found.isEmpty ? "no files" : found.joined(separator: ", ")
            return "Unknown task format in \(folder): expected train.json + test.json (+ labels.json, task.json for "
                + "O-LoRA; a SuperNI task object with Instances) or train.jsonl + test.jsonl, found \(files)."
        case .missingFile(let path, let reason):
            return "Missing \(path): \(reason)."
        case .malformedJSON(let path, let detail):
            return "Malformed JSON in \(path): \(detail)."
        case .malformedJSONL(let path, let line, let detail):
            return "Malformed JSONL in \(path) at line \(line): \(detail)."
        case .emptyTask(let path, let split):
            return "Empty task: \(path) has no usable \(split) example."
        case .unknownLabel(let path, let row, let label, let labels):
            return "Unknown label \"\(label)\" in \(path) at row \(row) (counting from 0): expected one of "
                + "\(labels.joined(separator: ", ")) from labels.json."
        case .duplicateTask(let name, let folder):
            return "Duplicate task \(name) in the stream (from \(folder)): each task may appear once."
        case .unknownTask(let name, let folder, let available):
            return "Unknown task \(name) in \(folder): available tasks are \(available.joined(separator: ", "))."
        case .unknownBenchmark(let name, let available):
            return "Unknown benchmark \(name): available benchmarks are \(available.joined(separator: ", "))."
        }
    }
}
