#!/usr/bin/env python
from kloudsso.cli import main

if __name__ == "__main__":
    main()
