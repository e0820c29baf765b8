import CurlHTTP
import Testing

/// Field-name lookup: ASCII case-insensitive (RFC 9110 §5.1), byte for byte otherwise.
@Suite struct HTTPHeadersTests {
    let headers = HTTPHeaders([
        ("Content-Length", "12"),
        ("X-Amz-Crc32", "42"),
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("X-@", "at"),
        ("X-[", "bracket"),
    ])

    @Test func namesMatchInAnyLetterCase() {
        #expect(headers["content-length"] == "12")
        #expect(headers["CONTENT-LENGTH"] == "12")
        #expect(headers["x-amz-crc32"] == "42")
        #expect(headers["X-AMZ-CRC32"] == "42")
        #expect(headers.values(for: "SET-COOKIE") == ["a=1", "b=2"])
    }

    @Test func namesDifferingInAnythingButLetterCaseDoNotMatch() {
        #expect(headers["content_length"] == nil)
        #expect(headers["content-lengt"] == nil)
        #expect(headers["content-lengths"] == nil)
        // '@' (0x40) and '`' (0x60), '[' (0x5B) and '{' (0x7B) differ in the case bit only, but
        // are not letters.
        #expect(headers["X-`"] == nil)
        #expect(headers["X-{"] == nil)
        #expect(headers["X-@"] == "at")
        // The Kelvin sign lowercases to "k" in Unicode; in a field name it is just another byte.
        #expect(HTTPHeaders([("\u{212A}ey", "kelvin")])["key"] == nil)
        #expect(headers[""] == nil)
    }

    @Test func removeAndSetReplaceEveryFieldOfTheNameInAnyCase() {
        var copy = headers
        copy.set("SET-COOKIE", "c=3")
        #expect(copy.values(for: "set-cookie") == ["c=3"])
        copy.remove("x-amz-CRC32")
        #expect(copy["X-Amz-Crc32"] == nil)
        #expect(copy.fields.map(\.name) == ["Content-Length", "X-@", "X-[", "SET-COOKIE"])
    }
}
