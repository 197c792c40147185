from memoria.cli import main

if __name__ == "__main__":  # not when a child process re-imports this module
    raise SystemExit(main())
