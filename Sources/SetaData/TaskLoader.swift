// Reading one task folder. The format is recognised from the files present:
//   train.jsonl + test.jsonl (+ optional task.json with "kind")      → plain JSONL
//   train.json + test.json holding JSON arrays of {sentence, label}  → O-LoRA CL_Benchmark (+ labels.json, task.json)
//   train.json + test.json holding task objects with "Instances"     → SuperNI (natural-instructions format)
import Foundation

/// Loads task folders in any of the three supported formats.
public enum TaskLoader {
    /// The formats a task folder can be in.
    public enum Format: String, Sendable, Equatable {
        case olora, superNI, jsonl
    }

    /// Reads the task in `folder`; its name is the folder's last path component.
    public static func load(folder: URL) throws -> TaskData {
        switch try format(of: folder) {
        case .olora: return try loadOLoRA(folder: folder)
        case .superNI: return try loadSuperNI(folder: folder)
        case .jsonl: return try loadJSONL(folder: folder)
        }
    }

    /// Recognises the format of a task folder from its files (and the first byte of train.json).
    public static func format(of folder: URL) throws -> Format {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.folderMissing(path: folder.path)
        }
        let found = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        let has = Set(found)
        if has.contains("train.jsonl") || has.contains("test.jsonl") {
            for f in ["train.jsonl", "test.jsonl"] where !has.contains(f) {
                throw DataError.missingFile(
                    path: folder.appendingPathComponent(f).path,
                    reason: "a JSONL task needs train.jsonl and test.jsonl")
            }
            return .jsonl
        }
        guard has.contains("train.json"), has.contains("test.json") else {
            throw DataError.unknownFormat(folder: folder.path, found: found)
        }
        let trainURL = folder.appendingPathComponent("train.json")
        switch try firstByte(of: trainURL) {
        case UInt8(ascii: "["): return .olora
        case UInt8(ascii: "{"): return .superNI
        default:
            throw DataError.malformedJSON(
                path: trainURL.path, detail: "expected a JSON array (O-LoRA) or a JSON object (SuperNI)")
        }
    }

    // MARK: O-LoRA CL_Benchmark

    private struct OLoRARow: Decodable {
        var sentence: String
        var label: String
    }

    private struct OLoRATaskInfo: Decodable {
        var instruction: String?
    }

    /// An O-LoRA task: prompt `instruction + "Option: " + labels.joined(", ") + "\n" + sentence + "\nAnswer:"`,
    /// target `" " + label`. A null instruction (COPA) starts the prompt with the options line.
    static func loadOLoRA(folder: URL) throws -> TaskData {
        let labelsURL = folder.appendingPathComponent("labels.json")
        let infoURL = folder.appendingPathComponent("task.json")
        guard FileManager.default.fileExists(atPath: labelsURL.path) else {
            throw DataError.missingFile(path: labelsURL.path, reason: "an O-LoRA task needs its label set")
        }
        guard FileManager.default.fileExists(atPath: infoURL.path) else {
            throw DataError.missingFile(path: infoURL.path, reason: "an O-LoRA task needs its instruction")
        }
        let labels = try decode([String].self, from: labelsURL)
        guard !labels.isEmpty else {
            throw DataError.malformedJSON(path: labelsURL.path, detail: "the label set is empty")
        }
        let info = try decode(OLoRATaskInfo.self, from: infoURL)
        let prefix = (info.instruction ?? "") + "Option: " + labels.joined(separator: ", ") + "\n"
        let labelSet = Set(labels)

        func split(_ file: String, strict: Bool) throws -> (examples: [Example], skipped: Int) {
            let url = folder.appendingPathComponent(file)
            let rows = try decode([OLoRARow].self, from: url)
            var examples: [Example] = []
            examples.reserveCapacity(rows.count)
            var skipped = 0
            for (i, row) in rows.enumerated() {
                guard labelSet.contains(row.label) else {
                    if strict { throw DataError.unknownLabel(path: url.path, row: i, label: row.label, labels: labels) }
                    skipped += 1
                    continue
                }
                examples.append(Example(
                    prefix: prefix, input: row.sentence, suffix: "\nAnswer:",
                    target: " " + row.label, references: [row.label]))
            }
            if examples.isEmpty {
                throw DataError.emptyTask(path: url.path, split: file.hasPrefix("train") ? "train" : "test")
            }
            return (examples, skipped)
        }
        let train = try split("train.json", strict: true)
        let test = try split("test.json", strict: false)
        return TaskData(
            name: folder.lastPathComponent, kind: .classification, labels: labels,
            train: train.examples, test: test.examples, skippedRows: test.skipped, source: folder.path)
    }

    // MARK: SuperNI

    /// A string or a list of strings (SuperNI's `Definition` and `output` come in both shapes).
    private struct StringOrList: Decodable {
        var values: [String]
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { values = [s] } else { values = try c.decode([String].self) }
        }
    }

    private struct SuperNITask: Decodable {
        struct Instance: Decodable {
            var input: String
            var output: StringOrList
        }
        var definition: StringOrList
        var instances: [Instance]
        enum CodingKeys: String, CodingKey {
            case definition = "Definition"
            case instances = "Instances"
        }
    }

    /// A SuperNI task: prompt `Definition[0] + "\n\nInput: " + input + "\nOutput:"`, target `" " + output[0]`,
    /// every output a reference. Scored by ROUGE-L (exact match is available through `Scoring`).
    static func loadSuperNI(folder: URL) throws -> TaskData {
        var skipped = 0
        func split(_ file: String) throws -> [Example] {
            let url = folder.appendingPathComponent(file)
            let task = try decode(SuperNITask.self, from: url)
            guard let definition = task.definition.values.first else {
                throw DataError.malformedJSON(path: url.path, detail: "\"Definition\" is empty")
            }
            var examples: [Example] = []
            examples.reserveCapacity(task.instances.count)
            for instance in task.instances {
                guard let first = instance.output.values.first else { skipped += 1; continue }
                examples.append(Example(
                    prefix: definition + "\n\nInput: ", input: instance.input, suffix: "\nOutput:",
                    target: " " + first,
                    references: instance.output.values.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }))
            }
            if examples.isEmpty {
                throw DataError.emptyTask(path: url.path, split: file.hasPrefix("train") ? "train" : "test")
            }
            return examples
        }
        let train = try split("train.json")
        let test = try split("test.json")
        return TaskData(
            name: folder.lastPathComponent, kind: .generation, labels: nil,
            train: train, test: test, skippedRows: skipped, source: folder.path)
    }

    // MARK: JSONL

    private struct JSONLRow: Decodable {
        var prompt: String
        var completion: String
    }

    private struct JSONLTaskInfo: Decodable {
        var kind: TaskKind?
    }

    /// Largest number of distinct completions for which a JSONL task without a declared kind counts as
    /// classification.
    public static let maxInferredLabels = 20

    /// A plain JSONL task: each line `{"prompt": …, "completion": …}`; the prompt is the input (prefix and
    /// suffix empty), the completion the target as written, its trimmed text the reference. Kind: `task.json`
    /// `{"kind": …}` if present; otherwise classification when the completions (train and test) take at most
    /// `maxInferredLabels` distinct trimmed values and at least one repeats, else generation.
    static func loadJSONL(folder: URL) throws -> TaskData {
        func split(_ file: String) throws -> [Example] {
            let url = folder.appendingPathComponent(file)
            let data = try read(url)
            var examples: [Example] = []
            let decoder = JSONDecoder()
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }  // blank lines
                do {
                    let row = try decoder.decode(JSONLRow.self, from: Data(line))
                    let reference = row.completion.trimmingCharacters(in: .whitespacesAndNewlines)
                    examples.append(Example(
                        prefix: "", input: row.prompt, suffix: "", target: row.completion, references: [reference]))
                } catch {
                    throw DataError.malformedJSONL(path: url.path, line: lineNumber, detail: describe(error))
                }
            }
            if examples.isEmpty {
                throw DataError.emptyTask(path: url.path, split: file.hasPrefix("train") ? "train" : "test")
            }
            return examples
        }
        let train = try split("train.jsonl")
        let test = try split("test.jsonl")
        let infoURL = folder.appendingPathComponent("task.json")
        var kind: TaskKind? = nil
        if FileManager.default.fileExists(atPath: infoURL.path) {
            kind = try decode(JSONLTaskInfo.self, from: infoURL).kind
        }
        var distinct: [String] = []
        var seen = Set<String>()
        for e in train + test where seen.insert(e.references[0]).inserted { distinct.append(e.references[0]) }
        if kind == nil {
            let total = train.count + test.count
            kind = (distinct.count <= maxInferredLabels && distinct.count < total) ? .classification : .generation
        }
        return TaskData(
            name: folder.lastPathComponent, kind: kind!, labels: kind == .classification ? distinct : nil,
            train: train, test: test, skippedRows: 0, source: folder.path)
    }

    // MARK: Files

    private static func read(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError.missingFile(path: url.path, reason: "the task format needs it")
        }
        do { return try Data(contentsOf: url) } catch {
            throw DataError.malformedJSON(path: url.path, detail: "cannot be read (\(error.localizedDescription))")
        }
    }

    private static func firstByte(of url: URL) throws -> UInt8? {
        let data = try read(url)
        return data.first {
            !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data = try read(url)
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw DataError.malformedJSON(path: url.path, detail: describe(error))
        }
    }

    /// A short, readable account of a decoding error (the coding path and what was expected).
    static func describe(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "the top level"
                : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .keyNotFound(let key, let ctx):
            return "missing key \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case .typeMismatch(let type, let ctx):
            return "expected \(type) at \(path(ctx.codingPath))"
        case .valueNotFound(let type, let ctx):
            return "expected \(type) but found null at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx):
            let under = (ctx.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            let at = ctx.codingPath.isEmpty ? "" : " at \(path(ctx.codingPath))"
            return "\(ctx.debugDescription.trimmingCharacters(in: CharacterSet(charactersIn: ". ")))\(under)\(at)"
        @unknown default:
            return "\(e)"
        }
    }
}
