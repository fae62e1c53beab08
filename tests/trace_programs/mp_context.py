# Starts a thread, then a multiprocessing worker with the start method named on the command line.
import multiprocessing
import sys
import threading
import time


def poll():
    time.sleep(1.5)


def work():
    pass


def main(method):
    poller = threading.Thread(target=poll, name="poller")
    poller.start()  # THREAD
    worker = multiprocessing.get_context(method).Process(target=work)
    worker.start()  # START
    worker.join()
    poller.join()


if __name__ == "__main__":
    main(sys.argv[1])
