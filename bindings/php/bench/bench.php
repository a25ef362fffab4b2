<?php

/*
 * Micro-benchmark of the PHP binding (run by scripts/bench-bindings.sh):
 *   JWT mint: B2c\Jwt::mint vs a JWT assembled in PHP with openssl_sign (ES256, DER -> raw)
 *   signing:  B2c\Signature::sign vs 'sha256=' . hash_hmac('sha256', ...) on 1 KiB
 * Per-op microseconds are the median of several timed runs.
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

use B2c\Jwt;
use B2c\Key;
use B2c\Signature;

$runs = (int) (getenv('BENCH_RUNS') ?: 7);
$scale = (float) (getenv('BENCH_SCALE') ?: 1.0);

/**
 * Median microseconds per op of $fa and $fb, timed in alternating runs so that machine
 * noise hits both sides alike.
 * @return array{float, float}
 */
function medians(callable $fa, callable $fb, int $n, int $runs): array
{
    for ($i = 0; $i < min(200, $n); $i++) {
        $fa();
        $fb();
    }
    $ta = $tb = [];
    for ($r = 0; $r < $runs; $r++) {
        foreach ([[$fa, &$ta], [$fb, &$tb]] as [$f, &$acc]) {
            $t = hrtime(true);
            for ($i = 0; $i < $n; $i++) {
                $f();
            }
            $acc[] = (hrtime(true) - $t) / $n / 1000;
        }
        unset($acc);
    }
    sort($ta);
    sort($tb);
    return [$ta[intdiv($runs, 2)], $tb[intdiv($runs, 2)]];
}

function b64u(string $s): string
{
    return rtrim(strtr(base64_encode($s), '+/', '-_'), '=');
}

/** DER ECDSA signature -> raw r||s of 64 bytes (JWS form). */
function derToRaw(string $der): string
{
    $off = 2;
    if (ord($der[1]) & 0x80) {
        $off += ord($der[1]) & 0x7f;
    }
    $out = '';
    for ($i = 0; $i < 2; $i++) {
        $len = ord($der[$off + 1]);
        $int = substr($der, $off + 2, $len);
        $out .= str_pad(ltrim($int, "\0"), 32, "\0", STR_PAD_LEFT);
        $off += 2 + $len;
    }
    return $out;
}

$key = Key::generate();
$pkey = openssl_pkey_get_private($key->privatePem());
$header = b64u(json_encode(['alg' => 'ES256', 'typ' => 'JWT']));

$phpJwt = static function () use ($pkey, $header): string {
    $now = time();
    $claims = b64u(json_encode([
        'admin_id' => 42, 'device_ip' => '127.0.0.1', 'key_id' => 'kid1', 'iss' => 'b2c',
        'iat' => $now, 'exp' => $now + 300,
    ]));
    openssl_sign("$header.$claims", $der, $pkey, OPENSSL_ALGO_SHA256);
    return "$header.$claims." . b64u(derToRaw($der));
};
$b2cJwt = static fn (): string => Jwt::mint($key, 42, '127.0.0.1', 'kid1');

// Sanity: both verify with openssl.
foreach ([$phpJwt(), $b2cJwt()] as $t) {
    [$h, $c, $s] = explode('.', $t);
    $raw = base64_decode(strtr($s, '-_', '+/') . str_repeat('=', (4 - strlen($s) % 4) % 4));
    $int = static function (string $x): string {
        $x = ltrim($x, "\0");
        if ($x === '' || ord($x[0]) & 0x80) {
            $x = "\0" . $x;
        }
        return "\x02" . chr(strlen($x)) . $x;
    };
    $seq = $int(substr($raw, 0, 32)) . $int(substr($raw, 32));
    if (openssl_verify("$h.$c", "\x30" . chr(strlen($seq)) . $seq, $key->publicPem(), OPENSSL_ALGO_SHA256) !== 1) {
        fwrite(STDERR, "bench: a token did not verify\n");
        exit(1);
    }
}

$data = random_bytes(1024);
$hkey = random_bytes(32);
if (Signature::sign($hkey, $data) !== 'sha256=' . hash_hmac('sha256', $data, $hkey)) {
    fwrite(STDERR, "bench: signatures differ\n");
    exit(1);
}

$nJwt = max(100, (int) (3000 * $scale));
$nSig = max(1000, (int) (100000 * $scale));
[$jb, $jp] = medians($b2cJwt, $phpJwt, $nJwt, $runs);
[$sb, $sp] = medians(
    static fn () => Signature::sign($hkey, $data),
    static fn () => 'sha256=' . hash_hmac('sha256', $data, $hkey),
    $nSig,
    $runs,
);

printf("PHP %s, FFI mode %s, median of %d runs\n", PHP_VERSION, B2c\Library::mode(), $runs);
printf("  JWT mint ES256      b2c Jwt::mint            %8.2f us/op\n", $jb);
printf("                      openssl_sign (PHP JWT)   %8.2f us/op\n", $jp);
printf("                      ratio b2c/openssl_sign   %8.2fx  (target <= 0.80x) %s\n", $jb / $jp, $jb / $jp <= 0.8 ? 'OK' : 'MISSED');
printf("  sign 1 KiB          b2c Signature::sign      %8.2f us/op\n", $sb);
printf("                      hash_hmac                %8.2f us/op\n", $sp);
printf("                      ratio b2c/hash_hmac      %8.2fx  (target <= 1.00x) %s\n", $sb / $sp, $sb / $sp <= 1.0 ? 'OK' : 'MISSED');
