// Checkpoints at task boundaries: RUN/checkpoints/task-k/{adapters.safetensors, manifest.json, resume.json}.
// The folder is assembled under a temporary name and renamed into place, so a crash leaves the previous
// checkpoint intact.
import Foundation
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

/// Everything a strategy needs to continue after a task boundary.
public struct StrategyState {
    public var tensors: [String: Tensor] = [:]
    /// Statistics kept in float64 (gate means and scatter) so they round-trip exactly.
    public var float64: [String: (shape: [Int], values: [Double])] = [:]
    public var manifest: [String: JSONValue] = [:]
    public init() {}
}

enum CheckpointWriter {
    /// resume.json's spelling of non-finite numbers, written and read alike: an unmeasured matrix cell
    /// (`--eval-tasks seen`) is NaN, "nan".
    static let nan = "nan", inf = "inf"

    static let formatVersion = 1

    static func write(_ state: StrategyState, resume: ResumePoint, to folder: URL) throws {
        let fm = FileManager.default
        let staging = folder.deletingLastPathComponent()
            .appendingPathComponent(".\(folder.lastPathComponent).partial-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            try SafetensorsWriter.write(state.tensors, float64: state.float64,
                                        metadata: ["format": "seta-adapters", "version": "\(formatVersion)"],
                                        to: staging.appendingPathComponent("adapters.safetensors"))
            var manifest = state.manifest
            manifest["format_version"] = .number(Double(formatVersion))
            manifest["completed_task"] = .number(Double(resume.completedTask))
            manifest["matrix_so_far"] = .array(resume.rows.map { .array($0.map { $0.isNaN ? .null : .number($0) }) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeAtomically(try encoder.encode(manifest), to: staging.appendingPathComponent("manifest.json"))
            // The trainer's state, with plain keys (UInt64 RNG states stay exact: no JSONValue round trip).
            encoder.nonConformingFloatEncodingStrategy = .convertToString(
                positiveInfinity: Self.inf, negativeInfinity: "-" + Self.inf, nan: Self.nan)
            try writeAtomically(try encoder.encode(resume), to: staging.appendingPathComponent("resume.json"))
            if fm.fileExists(atPath: folder.path) { try fm.removeItem(at: folder) }
            try fm.moveItem(at: staging, to: folder)
        } catch CheckpointError.unwritable(_, let detail) {
            try? fm.removeItem(at: staging)                 // a failed write (disk full) leaves nothing behind
            throw CheckpointError.unwritable(file: folder.path, detail: detail + "; the previous checkpoint is intact: "
                                             + "make room, then continue with --resume")
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }

    static func read(_ folder: URL) throws -> StrategyState {
        let file = try SafetensorsFile(url: folder.appendingPathComponent("adapters.safetensors"))
        var state = StrategyState()
        for name in file.names {
            if file.tensorInfos[name]?.dtype == "F64" { state.float64[name] = try file.float64(name) } else {
                state.tensors[name] = try file.tensor(name)
            }
        }
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: manifestURL),
              let manifest = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw CheckpointError.badJSON(file: manifestURL.path, detail: "missing or not a JSON object")
        }
        state.manifest = manifest
        return state
    }

    /// The trainer's state stored with a checkpoint (RUN/checkpoints/task-k/resume.json).
    static func resumePoint(_ folder: URL) throws -> ResumePoint {
        let url = folder.appendingPathComponent("resume.json")
        guard let data = try? Data(contentsOf: url) else {
            throw CheckpointError.notFound(file: url.path)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: inf, negativeInfinity: "-" + inf, nan: nan)
        do { return try decoder.decode(ResumePoint.self, from: data) } catch {
            throw CheckpointError.badJSON(file: url.path, detail: "\(error)")
        }
    }
}

extension StrategyState {
    /// The stored tensor `name`.
    func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw CheckpointError.missingTensor(file: "adapters.safetensors", name: name)
        }
        return t
    }

    /// Copies the stored tensor `name` into `target`, which must have its shape.
    func load(_ name: String, into target: Tensor) throws {
        guard let t = tensors[name] else {
            throw CheckpointError.missingTensor(file: "adapters.safetensors", name: name)
        }
        guard t.shape == target.shape else {
            throw CheckpointError.shapeMismatch(file: "adapters.safetensors", name: name, expected: target.shape,
                                               found: t.shape)
        }
        target.data.update(from: t.data, count: t.count)
    }

    /// Stores the gate's statistics: means and scatter in float64 (exact), the examples per task in the manifest.
    mutating func store(gate: PrototypeGate) {
        let d = gate.dimension
        float64["gate.means"] = ([gate.taskCount, d], gate.means.flatMap { $0 })
        float64["gate.scatter"] = ([d, d], gate.scatter)
        manifest["gate_counts"] = .array(gate.counts.map { .number(Double($0)) })
    }

    /// Restores the statistics `store(gate:)` wrote into `gate` (of the model's feature dimension).
    func restore(gate: PrototypeGate) throws {
        guard let means = float64["gate.means"], let scatter = float64["gate.scatter"] else {
            throw CheckpointError.missingTensor(file: "adapters.safetensors", name: "gate.means / gate.scatter")
        }
        let d = gate.dimension, tasks = means.shape.first ?? 0
        guard means.shape == [tasks, d], scatter.shape == [d, d] else {
            throw CheckpointError.shapeMismatch(file: "adapters.safetensors", name: "gate.means", expected: [tasks, d],
                                               found: means.shape)
        }
        gate.restore(means: (0..<tasks).map { Array(means.values[($0 * d)..<(($0 + 1) * d)]) },
                     counts: try manifestValue("gate_counts", as: [Int].self), scatter: scatter.values)
    }

    /// The manifest's value under `key` (snake_case keys), decoded.
    func manifestValue<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
        guard let value = manifest[key] else {
            throw CheckpointError.badJSON(file: "manifest.json",
                                          detail: "missing \"\(key)\" (a checkpoint written by an older "
                                              + "release of seta, or a damaged one: train the run again)")
        }
        do { return try JSONDecoder.snakeCase.decode(T.self, from: JSONEncoder().encode(value)) } catch {
            throw CheckpointError.badJSON(file: "manifest.json", detail: "\"\(key)\": \(Self.describe(error))")
        }
    }

    /// A strategy's options from the manifest's "config" (its `configuration`, "method" ignored).
    func options<T: Decodable>(_ type: T.Type) throws -> T {
        guard case var .object(config)? = manifest["config"] else {
            throw CheckpointError.badJSON(file: "manifest.json", detail: "missing \"config\" object")
        }
        config["method"] = nil
        do {
            return try JSONDecoder.snakeCase.decode(T.self, from: JSONEncoder().encode(JSONValue.object(config)))
        } catch {
            throw CheckpointError.badJSON(file: "manifest.json", detail: "\"config\": \(Self.describe(error))")
        }
    }

    /// A decoding error in the manifest's own spelling: a missing key by its snake_case name (what an older
    /// release's checkpoint lacks).
    static func describe(_ error: Error) -> String {
        guard case let DecodingError.keyNotFound(key, context) = error else { return "\(error)" }
        let snake = key.stringValue.reduce(into: "") { s, c in s += c.isUppercase ? "_" + c.lowercased() : String(c) }
        let path = (context.codingPath.map(\.stringValue) + [snake]).joined(separator: ".")
        return "missing \"\(path)\" (a checkpoint written by an older release of seta: train the run again)"
    }
}

/// A strategy's configuration for results.json: its options (snake_case keys) plus the method's name.
func recordedConfiguration<T: Encodable>(method: String, options: T) -> [String: JSONValue] {
    var c: [String: JSONValue] = [:]
    if case let .object(o)? = try? JSONValue(encoding: options) { c = o }
    c["method"] = .string(method)
    return c
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
