<?php

declare(strict_types=1);

namespace B2c\Tests;

/**
 * A PSR-3-shaped logger (a public log($level, $message, array $context = []) method; it
 * does not implement Psr\Log\LoggerInterface, which the binding does not require) that
 * keeps every record, and passes it to the secret scan's record (ScanLog) as well.
 */
final class CollectingLogger
{
    /** @var list<array{level: string, message: string, target: string, event: string, context: array}> */
    public array $records = [];

    public function log($level, $message, array $context = []): void
    {
        $this->records[] = [
            'level' => (string) $level,
            'message' => (string) $message,
            'target' => (string) ($context['b2c_target'] ?? ''),
            'event' => (string) ($context['b2c_event'] ?? ''),
            'context' => $context,
        ];
        ScanLog::record((string) $level, (string) $message, $context);
    }

    /**
     * The records of $event (and, when $needle is given, whose message contains it).
     *
     * @return list<array{level: string, message: string, target: string, event: string, context: array}>
     */
    public function events(string $event, ?string $needle = null): array
    {
        return array_values(array_filter(
            $this->records,
            static fn (array $r): bool => $r['event'] === $event && ($needle === null || str_contains($r['message'], $needle)),
        ));
    }

    /** Every record as "level target event: message", for failure messages. */
    public function dump(): string
    {
        return implode("\n", array_map(
            static fn (array $r): string => "{$r['level']} {$r['target']} {$r['event']}: {$r['message']}",
            $this->records,
        ));
    }
}
