// A few SVG primitives for the report's plots: pure string building, no dependencies. Every document is
// standalone (xmlns, width, height, viewBox) and renders the same in any browser.
import Foundation
import SetaMetrics

/// An SVG document under construction: elements are appended in drawing order (later ones on top).
struct SVGCanvas {
    let width: Double
    let height: Double
    private(set) var elements: [String] = []
    private(set) var definitions: [String] = []

    init(width: Double, height: Double) {
        self.width = width.rounded(.up)
        self.height = height.rounded(.up)
    }

    mutating func add(_ element: String) { elements.append(element) }
    mutating func define(_ definition: String) { definitions.append(definition) }

    /// The whole file: XML declaration, `<svg>` with a `<title>`, a white background, then the elements.
    func document(title: String) -> String {
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(fmt(width))" height="\#(fmt(height))" "#
                + #"viewBox="0 0 \#(fmt(width)) \#(fmt(height))" font-family="\#(SVGStyle.fontFamily)" "#
                + #"font-size="12" fill="\#(SVGStyle.ink)">"#,
            "<title>\(xmlEscape(title))</title>",
        ]
        if !definitions.isEmpty { lines += ["<defs>"] + definitions + ["</defs>"] }
        lines.append(#"<rect x="0" y="0" width="\#(fmt(width))" height="\#(fmt(height))" fill="white"/>"#)
        lines += elements
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }
}

enum SVGStyle {
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
    static let ink = "#222222"
    static let muted = "#666666"
    static let grid = "#e3e3e3"
    static let axis = "#888888"
    /// Tableau 10: distinct hues that stay apart for colour-blind readers better than the default rainbow.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    static func colour(_ i: Int) -> String { palette[i % palette.count] }
}

/// A number for an attribute: at most two decimals, no trailing zeros ("12", "12.5", "-3.25").
func fmt(_ x: Double) -> String {
    var s = String(format: "%.2f", x)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s == "-0" ? "0" : s
}

func xmlEscape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// Approximate rendered width of `s` in a sans-serif font of `size` px (DejaVu Sans averages ~0.55 em a glyph
/// over lower-case text and digits; a slight overestimate only widens a margin).
func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.55 }

/// An axis tick label for a count: 4_000_000 → "4M", 1_500_000 → "1.5M", 250_000 → "250K", 0 → "0".
func formatTick(_ x: Double) -> String {
    if abs(x) >= 1e6 { return fmt(x / 1e6) + "M" }
    if abs(x) >= 1e3 { return fmt(x / 1e3) + "K" }
    return fmt(x)
}

/// A `<text>` element; `anchor` is start, middle or end; `rotate` turns it (degrees) about (x, y).
func svgText(_ s: String, x: Double, y: Double, size: Double = 12, anchor: String = "start", weight: String? = nil,
             fill: String? = nil, rotate: Double? = nil, baseline: String? = nil, className: String? = nil) -> String {
    var attributes = #"x="\#(fmt(x))" y="\#(fmt(y))" font-size="\#(fmt(size))""#
    if anchor != "start" { attributes += #" text-anchor="\#(anchor)""# }
    if let weight { attributes += #" font-weight="\#(weight)""# }
    if let fill { attributes += #" fill="\#(fill)""# }
    if let baseline { attributes += #" dominant-baseline="\#(baseline)""# }
    if let rotate { attributes += #" transform="rotate(\#(fmt(rotate)) \#(fmt(x)) \#(fmt(y)))""# }
    if let className { attributes += #" class="\#(className)""# }
    return "<text \(attributes)>\(xmlEscape(s))</text>"
}

func svgLine(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
             dash: String? = nil) -> String {
    #"<line x1="\#(fmt(x1))" y1="\#(fmt(y1))" x2="\#(fmt(x2))" y2="\#(fmt(y2))" stroke="\#(stroke)" "#
        + #"stroke-width="\#(fmt(width))""# + (dash.map { #" stroke-dasharray="\#($0)""# } ?? "") + "/>"
}

func svgPolyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: String? = nil,
                 opacity: Double? = nil, className: String? = nil) -> String {
    let p = points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
    return "<polyline" + (className.map { #" class="\#($0)""# } ?? "")
        + #" points="\#(p)" fill="none" stroke="\#(stroke)" stroke-width="\#(fmt(width))" "#
        + #"stroke-linejoin="round" stroke-linecap="round""#
        + (dash.map { #" stroke-dasharray="\#($0)""# } ?? "")
        + (opacity.map { #" stroke-opacity="\#(fmt($0))""# } ?? "") + "/>"
}

/// Ticks from 0 to at least `maximum`: about `count` steps of 1, 2, 2.5 or 5 × 10^k.
func niceTicks(maximum: Double, count: Int = 5) -> [Double] {
    guard maximum > 0, maximum.isFinite else { return [0, 1] }
    let raw = maximum / Double(count)
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let steps = Int((maximum / step - 1e-9).rounded(.up))
    return (0...max(steps, 1)).map { Double($0) * step }
}

/// Viridis (matplotlib's perceptually uniform map) at t in 0...1, as "#rrggbb": dark purple → teal → yellow.
func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ]
    let x = min(max(t, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2), f = x - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    func channel(_ u: Double, _ v: Double) -> Int { Int((u + (v - u) * f).rounded()) }
    return String(format: "#%02x%02x%02x", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
}

/// True when text on `colour` ("#rrggbb") reads better in white than in black (relative luminance < 0.4).
func isDark(_ colour: String) -> Bool {
    let hex = Int(colour.dropFirst(), radix: 16) ?? 0
    let (r, g, b) = (Double(hex >> 16 & 0xff), Double(hex >> 8 & 0xff), Double(hex & 0xff))
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.4
}

/// A name usable in a file name: lower case, runs of other characters as one "-" ("cl:order1" → "cl-order1").
func slug(_ s: String) -> String {
    var out = "", dash = false
    for c in s.lowercased() {
        if c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_") {
            out.append(c)
            dash = false
        } else if !dash && !out.isEmpty {
            out.append("-")
            dash = true
        }
    }
    while out.hasSuffix("-") { out.removeLast() }
    return out.isEmpty ? "run" : String(out.prefix(80))
}
