<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\B2c;

/**
 * The secret scan's record of log events: when B2C_SCAN_DIR is set (scripts/test-all.sh
 * sets it), every record the binding's log routing delivers during the whole suite is
 * appended to $B2C_SCAN_DIR/php-log-events.log, one line "level target event: message",
 * for scripts/secret-scan.py. The bootstrap installs the suite-wide logger (everything, at
 * debug); a CollectingLogger a test installs writes its records here too, and the test
 * puts the suite-wide logger back afterwards (restore()).
 */
final class ScanLog
{
    private static ?object $logger = null;

    /** $B2C_SCAN_DIR/php-log-events.log, or null when B2C_SCAN_DIR is not set. */
    public static function path(): ?string
    {
        $dir = getenv('B2C_SCAN_DIR');
        if ($dir === false || $dir === '') {
            return null;
        }
        if (!is_dir($dir)) {
            mkdir($dir, 0777, true);
        }
        return $dir . '/php-log-events.log';
    }

    /** The suite-wide logger (writes every record here), or null without B2C_SCAN_DIR. */
    public static function logger(): ?object
    {
        if (self::$logger === null && self::path() !== null) {
            self::$logger = new class () {
                public function log($level, $message, array $context = []): void
                {
                    ScanLog::record((string) $level, (string) $message, $context);
                }
            };
        }
        return self::$logger;
    }

    /** Install (again) the suite-wide process-wide logger: at debug, or none without B2C_SCAN_DIR. */
    public static function restore(): void
    {
        B2c::setLogger(self::logger(), 'debug');
    }

    /** Append one record. */
    public static function record(string $level, string $message, array $context): void
    {
        $target = $context['b2c_target'] ?? '?';
        $event = $context['b2c_event'] ?? '?';
        self::line("$level $target $event: $message");
    }

    /** Append one line of text (newlines escaped). */
    public static function line(string $text): void
    {
        $path = self::path();
        if ($path !== null) {
            file_put_contents($path, str_replace(["\r", "\n"], ['\r', '\n'], $text) . "\n", FILE_APPEND | LOCK_EX);
        }
    }
}
