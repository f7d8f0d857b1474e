/// A token matched literally in the input before pre-tokenisation (Hugging Face "added token"), such
/// as `<|im_start|>`. Special ones are dropped by `decode(_:skipSpecialTokens: true)`.
public struct AddedToken: Equatable, Sendable {
    public var content: String
    public var id: Int
    public var special: Bool
    /// Also swallow whitespace on the left / right of the match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Only match when not inside a word.
    public var singleWord: Bool

    public init(content: String, id: Int, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false,
                singleWord: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
    }
}

/// Splits text into runs of ordinary text and added tokens, leftmost-longest like HF's Aho-Corasick.
struct AddedTokenMatcher {
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int)
    }

    private struct Candidate {
        var scalars: [Unicode.Scalar]
        var token: AddedToken
    }

    /// Candidates by first scalar, longest first.
    private var byFirst: [UInt32: [Candidate]] = [:]
    var isEmpty: Bool { byFirst.isEmpty }

    init(_ tokens: [AddedToken]) {
        for t in tokens {
            let scalars = Array(t.content.unicodeScalars)
            guard let first = scalars.first else { continue }
            byFirst[first.value, default: []].append(Candidate(scalars: scalars, token: t))
        }
        for k in byFirst.keys { byFirst[k]!.sort { $0.scalars.count > $1.scalars.count } }
    }

    func split(_ s: [Unicode.Scalar]) -> [Segment] {
        if byFirst.isEmpty { return [.text(0..<s.count)] }
        var out: [Segment] = []
        var textStart = 0
        var i = 0
        let n = s.count
        while i < n {
            guard let candidates = byFirst[s[i].value],
                  let c = candidates.first(where: { matches($0, s, at: i) }) else {
                i += 1
                continue
            }
            var textEnd = i
            if c.token.lstrip {
                while textEnd > textStart && s[textEnd - 1].properties.isWhitespace { textEnd -= 1 }
            }
            var j = i + c.scalars.count
            if c.token.rstrip {
                while j < n && s[j].properties.isWhitespace { j += 1 }
            }
            if textStart < textEnd { out.append(.text(textStart..<textEnd)) }
            out.append(.token(c.token.id))
            textStart = j
            i = j
        }
        if textStart < n { out.append(.text(textStart..<n)) }
        return out
    }

    private func matches(_ c: Candidate, _ s: [Unicode.Scalar], at i: Int) -> Bool {
        let len = c.scalars.count
        guard i + len <= s.count else { return false }
        for k in 1..<len where s[i + k] != c.scalars[k] { return false }
        if c.token.singleWord {
            if i > 0 && isWordScalar(s[i - 1]) && isWordScalar(c.scalars[0]) { return false }
            if i + len < s.count && isWordScalar(s[i + len]) && isWordScalar(c.scalars[len - 1]) { return false }
        }
        return true
    }

    private func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s == "_" || charClass(s) == .letter || charClass(s) == .number
    }
}
