# Python 2 module kept for the legacy importer (does not parse as Python 3).
# hashlib.md5(data) is computed by the caller, not here.
import sys

def main():
    print "usage: hashlib.sha1(name) is only mentioned in this message"
    description = 'md5 of the address'
    print >>sys.stderr, description

if __name__ == '__main__':
    main()
