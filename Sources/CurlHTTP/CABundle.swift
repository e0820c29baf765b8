#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where to find trusted CA certificates for HTTPS.
public enum CABundle {
    /// Well-known bundle locations: Debian/Ubuntu, Amazon Linux 2 and 2023 / RHEL, SUSE, Alpine/macOS.
    public static let knownPaths = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ]

    /// `CURL_CA_BUNDLE`, else `SSL_CERT_FILE`, else the first readable known path,
    /// else `nil` (libcurl's compiled-in default).
    public static func defaultPath(environment: [String: String]? = nil) -> String? {
        func variable(_ name: String) -> String? {
            if let environment { return environment[name] }
            return getenv(name).map { String(cString: $0) }
        }
        for name in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
            if let value = variable(name), !value.isEmpty { return value }
        }
        return knownPaths.first { access($0, R_OK) == 0 }
    }
}
