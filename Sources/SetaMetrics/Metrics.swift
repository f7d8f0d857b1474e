// The summary metrics of one run, as recorded in results.json.

/// AA, BWT, FWT and FGT (0–100 scale); nil where undefined (T = 1, multi-task, or FWT without zero-shot scores).
/// Nil values are written as JSON `null`, never omitted.
public struct Metrics: Codable, Equatable, Sendable {
    public var aa: Double?
    public var bwt: Double?
    public var fwt: Double?
    public var forgetting: Double?

    public init(aa: Double?, bwt: Double?, fwt: Double?, forgetting: Double?) {
        self.aa = aa
        self.bwt = bwt
        self.fwt = fwt
        self.forgetting = forgetting
    }

    /// The metrics of a matrix (same as `matrix.metrics`).
    public init(_ matrix: AccuracyMatrix) { self = matrix.metrics }

    private enum CodingKeys: String, CodingKey { case aa, bwt, fwt, forgetting }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        aa = try c.decodeIfPresent(Double.self, forKey: .aa)
        bwt = try c.decodeIfPresent(Double.self, forKey: .bwt)
        fwt = try c.decodeIfPresent(Double.self, forKey: .fwt)
        forgetting = try c.decodeIfPresent(Double.self, forKey: .forgetting)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeOrNull(aa, forKey: .aa)
        try c.encodeOrNull(bwt, forKey: .bwt)
        try c.encodeOrNull(fwt, forKey: .fwt)
        try c.encodeOrNull(forgetting, forKey: .forgetting)
    }
}

extension KeyedEncodingContainer {
    /// Writes the value, or JSON `null` when it is nil (`encodeIfPresent` would drop the key).
    public mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
