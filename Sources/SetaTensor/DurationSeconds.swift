// A Duration as seconds, for timings and rates (one conversion for every clock reading in the project).
extension Duration {
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
