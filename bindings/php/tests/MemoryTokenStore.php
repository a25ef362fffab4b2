<?php

declare(strict_types=1);

namespace B2c\Tests;

use B2c\TokenStore;

/**
 * A TokenStore in this process's memory that counts its calls, for the tests: several
 * handles sharing it stand for several processes sharing a real store. $fail names the
 * methods that throw (a broken store).
 */
final class MemoryTokenStore implements TokenStore
{
    /** @var array<string, string> */
    public array $values = [];
    /** @var array<string, true> */
    public array $locked = [];
    /** @var array<string, int> method => calls */
    public array $calls = ['load' => 0, 'save' => 0, 'lock' => 0, 'unlock' => 0];
    /** @var list<string> every key seen */
    public array $keys = [];
    /** @var list<array{int, int}> [timeoutMs, leaseMs] of each lock() */
    public array $lockArgs = [];

    /** @param list<string> $fail */
    public function __construct(public array $fail = [])
    {
    }

    public function load(string $key): ?string
    {
        $this->seen('load', $key);
        return $this->values[$key] ?? null;
    }

    public function save(string $key, string $value): void
    {
        $this->seen('save', $key);
        $this->values[$key] = $value;
    }

    public function lock(string $key, int $timeoutMs, int $leaseMs): bool
    {
        $this->seen('lock', $key);
        $this->lockArgs[] = [$timeoutMs, $leaseMs];
        if (isset($this->locked[$key])) {
            return false; // one thread: a lock held now is held for the whole wait
        }
        $this->locked[$key] = true;
        return true;
    }

    public function unlock(string $key): void
    {
        unset($this->locked[$key]); // (a broken unlock still releases: a Redis lock would expire)
        $this->seen('unlock', $key);
    }

    public function total(): int
    {
        return array_sum($this->calls);
    }

    private function seen(string $method, string $key): void
    {
        $this->calls[$method]++;
        $this->keys[] = $key;
        if (in_array($method, $this->fail, true)) {
            throw new \RuntimeException("the store's $method is broken");
        }
    }
}
