// Seeded mutations of valid inputs, shared by the parser fuzz suites (FuzzGGUFTests, FuzzSafetensorsTests,
// FuzzModelFolderTests, FuzzTokenizerJSONTests, FuzzTaskFileTests). Every mutation is drawn from the project's
// SeededRNG, so a failing iteration replays exactly from its seed and index.
//
// Binary mutations: truncation, byte flips, 1/2/4/8-byte little-endian windows overwritten with extremes
// (0, all ones, 2^31, 2^32, 2^40, 2^62, Int64.max…: huge counts, lengths, dims, offsets), deleted and duplicated
// ranges (shifting every later field). JSON mutations add: a literal (number, string, true/false/null) replaced
// by an extreme number or a value of another type, a `"key": literal` member dropped, structural characters
// deleted or inserted, lines dropped or repeated.
import SetaTensor

/// One mutated input and a short account of what was done to it (for failure messages).
public struct Mutation: Sendable {
    public let bytes: [UInt8]
    public let summary: String
}

public struct Mutator: Sendable {
    public private(set) var rng: SeededRNG

    public init(seed: UInt64) { rng = SeededRNG(seed: seed) }

    /// Uniform in `0 ..< n` (n > 0).
    public mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    /// Little-endian values written over binary fields: counts, lengths, dims, offsets and types at their extremes.
    static let extremes: [UInt64] = [
        0, 1, 2, 3, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 1 << 40, 1 << 48, 1 << 62,
        UInt64(Int64.max), 1 << 63, UInt64.max, UInt64.max - 7,
    ]

    /// Text written over JSON literals: numbers that overflow Int / Int32, are negative, fractional or not
    /// finite, and values of the wrong type.
    static let jsonReplacements: [String] = [
        "0", "-1", "1.5", "1e300", "-1e300", "2147483647", "2147483648", "4294967296", "1099511627776",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999",
        "null", "true", "[]", "{}", "\"\"", "\"x\"", "[[[[]]]]", "[0, 1099511627776]",
    ]

    /// One to three binary mutations of `bytes`. Positions fall in `focus` (e.g. a header, where a flip changes
    /// structure rather than a weight) three times out of four.
    public mutating func mutateBinary(_ bytes: [UInt8], focus: Range<Int>? = nil) -> Mutation {
        var out = bytes, notes: [String] = []
        for _ in 0 ..< 1 + below(3) {
            let done = binaryStep(&out, focus: focus, notes: &notes)
            if done { break }
        }
        return Mutation(bytes: out, summary: notes.joined(separator: "; "))
    }

    /// One to three mutations of a JSON / JSONL text, binary or literal-aware.
    public mutating func mutateJSON(_ bytes: [UInt8]) -> Mutation {
        var out = bytes, notes: [String] = []
        for _ in 0 ..< 1 + below(3) {
            let done: Bool
            switch below(11) {
            case 0 ..< 5: done = false; replaceLiteral(&out, notes: &notes)
            case 5: done = false; editStructure(&out, notes: &notes)
            case 6: done = false; editLines(&out, notes: &notes)
            case 7: done = false; dropMember(&out, notes: &notes)
            default: done = binaryStep(&out, focus: nil, notes: &notes)
            }
            if done { break }
        }
        return Mutation(bytes: out, summary: notes.joined(separator: "; "))
    }

    // MARK: Binary steps

    /// A position in `bytes` (non-empty), inside `focus` three times out of four.
    private mutating func position(in count: Int, focus: Range<Int>?) -> Int {
        if let focus, below(4) != 0 {
            let r = focus.clamped(to: 0 ..< count)
            if !r.isEmpty { return r.lowerBound + below(r.count) }
        }
        return below(count)
    }

    /// Applies one binary mutation; true when it truncated (further steps would only cut again).
    private mutating func binaryStep(_ out: inout [UInt8], focus: Range<Int>?, notes: inout [String]) -> Bool {
        guard !out.isEmpty else { return true }
        switch below(10) {
        case 0, 1:
            let length = below(out.count)
            out.removeSubrange(length...)
            notes.append("truncated to \(length) bytes")
            return true
        case 2, 3, 4:
            let p = position(in: out.count, focus: focus)
            let mask = UInt8(1 + below(255))
            out[p] ^= mask
            notes.append("byte \(p) ^= \(mask)")
        case 5, 6, 7:
            let width = [1, 2, 4, 8][below(4)]
            let p = min(position(in: out.count, focus: focus), max(0, out.count - width))
            let value = below(5) == 0 ? rng.next() : Self.extremes[below(Self.extremes.count)]
            for k in 0 ..< min(width, out.count - p) { out[p + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            notes.append("\(width) bytes at \(p) = \(value)")
        case 8:
            let p = position(in: out.count, focus: focus), n = min(1 + below(16), out.count - p)
            out.removeSubrange(p ..< p + n)
            notes.append("deleted \(n) bytes at \(p)")
        default:
            let p = position(in: out.count, focus: focus), n = min(1 + below(64), out.count - p)
            let at = position(in: out.count, focus: focus), copied = Array(out[p ..< p + n])
            out.insert(contentsOf: copied, at: at)
            notes.append("copied \(n) bytes from \(p) to \(at)")
        }
        return false
    }

    // MARK: JSON steps

    /// Byte ranges of the literals of a JSON text: strings (with quotes), numbers, true / false / null.
    static func literals(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = [], i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                var j = i + 1
                while j < b.count, b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
                out.append(i ..< min(j + 1, b.count)); i = j + 1
            } else if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "t")
                        || c == UInt8(ascii: "f") || c == UInt8(ascii: "n") {
                var j = i + 1
                while j < b.count, !" \t\r\n,:]}".utf8.contains(b[j]) { j += 1 }
                out.append(i ..< j); i = j
            } else {
                i += 1
            }
        }
        return out
    }

    private mutating func replaceLiteral(_ out: inout [UInt8], notes: inout [String]) {
        let found = Self.literals(out)
        guard !found.isEmpty else { return }
        let r = found[below(found.count)]
        let text = Self.jsonReplacements[below(Self.jsonReplacements.count)]
        out.replaceSubrange(r, with: Array(text.utf8))
        notes.append("literal at \(r.lowerBound) = \(text)")
    }

    /// Removes one `"key": literal` member of an object (with its comma), as if the field were missing.
    private mutating func dropMember(_ out: inout [UInt8], notes: inout [String]) {
        let found = Self.literals(out)
        func skipSpace(_ i: Int) -> Int {
            var i = i
            while i < out.count, " \t\r\n".utf8.contains(out[i]) { i += 1 }
            return i
        }
        var members: [Range<Int>] = []
        for (k, key) in found.enumerated().dropLast() where out[key.lowerBound] == UInt8(ascii: "\"") {
            let colon = skipSpace(key.upperBound)
            guard colon < out.count, out[colon] == UInt8(ascii: ":"), found[k + 1].lowerBound == skipSpace(colon + 1) else { continue }
            members.append(key.lowerBound ..< found[k + 1].upperBound)
        }
        guard !members.isEmpty else { return }
        var r = members[below(members.count)]
        let after = skipSpace(r.upperBound)
        if after < out.count, out[after] == UInt8(ascii: ",") {
            r = r.lowerBound ..< after + 1
        } else if let comma = out[..<r.lowerBound].lastIndex(where: { !" \t\r\n".utf8.contains($0) }),
                  out[comma] == UInt8(ascii: ",") {
            r = comma ..< r.upperBound
        }
        notes.append("dropped member \(String(decoding: out[r].prefix(40), as: UTF8.self))")
        out.removeSubrange(r)
    }

    private mutating func editStructure(_ out: inout [UInt8], notes: inout [String]) {
        let structural = Array("{}[],:\"".utf8)
        let at = out.indices.filter { structural.contains(out[$0]) }
        if below(2) == 0, !at.isEmpty {
            let p = at[below(at.count)]
            notes.append("deleted '\(Character(Unicode.Scalar(out[p])))' at \(p)")
            out.remove(at: p)
        } else {
            let p = below(out.count + 1), c = structural[below(structural.count)]
            out.insert(c, at: p)
            notes.append("inserted '\(Character(Unicode.Scalar(c)))' at \(p)")
        }
    }

    private mutating func editLines(_ out: inout [UInt8], notes: inout [String]) {
        var lines = out.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        guard !lines.isEmpty else { return }
        let i = below(lines.count)
        if below(2) == 0 {
            lines.remove(at: i)
            notes.append("dropped line \(i + 1)")
        } else {
            lines.insert(lines[i], at: below(lines.count + 1))
            notes.append("repeated line \(i + 1)")
        }
        out = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }
}
