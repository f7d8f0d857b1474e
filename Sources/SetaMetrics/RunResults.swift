// RUN/results.json: one record per run, carrying its own config (as nanoGPT's checkpoints do).
import Foundation

/// How much the shared expert is reused (SETA.md, "Shared-subspace utilisation").
public struct SharedUtilisation: Codable, Equatable, Sendable {
    /// Share of shared blocks that ≥ 2 tasks trained in the share/free state (not split).
    public var blocksReused: Double
    /// Per task: Σ‖ΔW‖_F of its shared-block updates / Σ‖ΔW‖_F of all its updates.
    public var sharedUpdateShare: [Double]

    public init(blocksReused: Double, sharedUpdateShare: [Double]) {
        self.blocksReused = blocksReused
        self.sharedUpdateShare = sharedUpdateShare
    }

    private enum CodingKeys: String, CodingKey {
        case blocksReused = "blocks_reused"
        case sharedUpdateShare = "shared_update_share"
    }
}

/// A results file that could not be read, parsed or written; every message names the file.
public enum ResultsFileError: Error, Equatable, CustomStringConvertible, Sendable {
    case unreadable(file: String, reason: String)
    case malformed(file: String, reason: String)
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read results: \(reason)"
        case .malformed(let file, let reason): return "\(file): malformed results: \(reason)"
        case .unwritable(let file, let reason): return "\(file): cannot write results: \(reason)"
        }
    }
}

/// The record of one run. JSON keys are snake_case; absent values are written as `null`, never omitted.
public struct RunResults: Codable, Equatable, Sendable {
    public static func == (a: Self, b: Self) -> Bool {   // unmeasured cells (NaN) equal each other
        a.method == b.method && a.model == b.model && a.seed == b.seed && a.benchmark == b.benchmark
            && a.tasks == b.tasks && sameScores(a.matrix, b.matrix) && a.zeroShot == b.zeroShot
            && a.metrics == b.metrics && a.params == b.params && a.routingAccuracy == b.routingAccuracy
            && a.sharedUtilisation == b.sharedUtilisation && a.config == b.config
    }

    public var method: String
    public var model: String
    public var seed: UInt64
    public var benchmark: String?
    /// Task names in training order (index 0 = the first task).
    public var tasks: [String]
    /// The accuracy matrix's rows (`matrix[i][j]`: score on task j after training through task i; NaN, null in
    /// JSON, where it was not measured: beyond the next task with `--eval-tasks seen`).
    public var matrix: [[Double]]
    public var zeroShot: [Double]?
    public var metrics: Metrics
    public var params: ParameterGrowth?
    public var routingAccuracy: Double?
    public var sharedUtilisation: SharedUtilisation?
    /// Every setting of the run, whatever its shape.
    public var config: [String: JSONValue]
    /// The base weights' precision as the config records it ("bf16"), nil for float32 (the config leaves it out).
    public var recordedWeights: String? {
        if case let .string(w)? = config["weights"], w != "f32" { return w }
        return nil
    }

    public init(method: String, model: String, seed: UInt64, benchmark: String?, tasks: [String], matrix: [[Double]],
                zeroShot: [Double]?, metrics: Metrics, params: ParameterGrowth? = nil, routingAccuracy: Double? = nil,
                sharedUtilisation: SharedUtilisation? = nil, config: [String: JSONValue]) {
        self.method = method
        self.model = model
        self.seed = seed
        self.benchmark = benchmark
        self.tasks = tasks
        self.matrix = matrix
        self.zeroShot = zeroShot
        self.metrics = metrics
        self.params = params
        self.routingAccuracy = routingAccuracy
        self.sharedUtilisation = sharedUtilisation
        self.config = config
    }

    /// A record whose matrix, zero-shot scores and metrics all come from `accuracy`.
    public init(method: String, model: String, seed: UInt64, benchmark: String?, tasks: [String],
                accuracy: AccuracyMatrix, params: ParameterGrowth? = nil, routingAccuracy: Double? = nil,
                sharedUtilisation: SharedUtilisation? = nil, config: [String: JSONValue]) {
        self.init(method: method, model: model, seed: seed, benchmark: benchmark, tasks: tasks, matrix: accuracy.rows,
                  zeroShot: accuracy.zeroShot, metrics: accuracy.metrics, params: params,
                  routingAccuracy: routingAccuracy, sharedUtilisation: sharedUtilisation, config: config)
    }

    /// The validated accuracy matrix of this record.
    public func accuracyMatrix() throws(AccuracyMatrixError) -> AccuracyMatrix {
        try AccuracyMatrix(rows: matrix, zeroShot: zeroShot)
    }

    private enum CodingKeys: String, CodingKey {
        case method, model, seed, benchmark, tasks, matrix, metrics, params, config
        case zeroShot = "zero_shot"
        case routingAccuracy = "routing_accuracy"
        case sharedUtilisation = "shared_utilisation"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(String.self, forKey: .method)
        model = try c.decode(String.self, forKey: .model)
        seed = try c.decode(UInt64.self, forKey: .seed)
        benchmark = try c.decodeIfPresent(String.self, forKey: .benchmark)
        tasks = try c.decode([String].self, forKey: .tasks)
        matrix = unmeasuredAsNaN(try c.decode([[Double?]].self, forKey: .matrix))
        zeroShot = try c.decodeIfPresent([Double].self, forKey: .zeroShot)
        metrics = try c.decode(Metrics.self, forKey: .metrics)
        params = try c.decodeIfPresent(ParameterGrowth.self, forKey: .params)
        routingAccuracy = try c.decodeIfPresent(Double.self, forKey: .routingAccuracy)
        sharedUtilisation = try c.decodeIfPresent(SharedUtilisation.self, forKey: .sharedUtilisation)
        config = try c.decode([String: JSONValue].self, forKey: .config)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(method, forKey: .method)
        try c.encode(model, forKey: .model)
        try c.encode(seed, forKey: .seed)
        try c.encodeOrNull(benchmark, forKey: .benchmark)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(unmeasuredAsNull(matrix), forKey: .matrix)
        try c.encodeOrNull(zeroShot, forKey: .zeroShot)
        try c.encode(metrics, forKey: .metrics)
        try c.encodeOrNull(params, forKey: .params)
        try c.encodeOrNull(routingAccuracy, forKey: .routingAccuracy)
        try c.encodeOrNull(sharedUtilisation, forKey: .sharedUtilisation)
        try c.encode(config, forKey: .config)
    }

    /// The JSON text: pretty-printed with sorted keys (so files diff well), ending in a newline.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes atomically: a temporary file in the same folder, then a rename over `url`, so a reader never sees
    /// a half-written record and a crash leaves the previous file intact.
    public func write(to url: URL) throws(ResultsFileError) {
        let file = url.path
        let data: Data
        do { data = try jsonData() } catch {
            throw .unwritable(file: file, reason: "cannot encode: \(error)")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do { try data.write(to: temporary) } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .unwritable(file: file, reason: error.localizedDescription)
        }
        if rename(temporary.path, file) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .unwritable(file: file, reason: "rename from \(temporary.lastPathComponent) failed: \(reason)")
        }
    }

    /// Reads a record written by `write(to:)` (or any JSON with the same keys; missing optional keys read as nil).
    public static func read(from url: URL) throws(ResultsFileError) -> RunResults {
        let file = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(file: file, reason: error.localizedDescription)
        }
        do { return try JSONDecoder().decode(RunResults.self, from: data) } catch let error as DecodingError {
            throw .malformed(file: file, reason: describe(error))
        } catch {
            throw .malformed(file: file, reason: "\(error)")
        }
    }
}

/// A one-line account of a decoding failure: where (the key path) and what.
public func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
    case .typeMismatch(let type, let context):
        return "expected \(type) at \(path(context.codingPath))"
    case .valueNotFound(let type, let context):
        return "expected \(type), found null at \(path(context.codingPath))"
    case .dataCorrupted(let context):
        return "\(context.debugDescription) at \(path(context.codingPath))"
    @unknown default:
        return "\(error)"
    }
}
